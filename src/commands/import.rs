//! `postwright import --account NAME`: the account's live posts written as
//! post files and recorded as published (the work is in
//! [`crate::import`]). Under the record's lease, like apply, so it never
//! races one.

use super::{open, token_runtime, Exit, Failure, Globals};
use crate::import::{ImportError, Importer, MediaMode, Options, Outcome};
use crate::platform::{AccountWork, Publisher};
use crate::report::Format;
use crate::state::Locked;
use std::io::Write;

/// What `import` is asked on the command line.
#[derive(Debug, Clone)]
pub struct ImportArgs<'a> {
    pub account: &'a str,
    pub since: Option<&'a str>,
    pub limit: Option<usize>,
    pub media: MediaMode,
}

/// The import, handed to the registry, which calls it with the account's
/// publisher whatever its platform.
struct Work<'i, 'a> {
    importer: &'i mut Importer<'a>,
}

impl AccountWork for Work<'_, '_> {
    type Output = Result<(), ImportError>;

    async fn run<P: Publisher>(self, publisher: P) -> Result<(), ImportError> {
        self.importer.run(&publisher).await
    }
}

/// `postwright import`.
pub fn import(
    g: &Globals,
    format: Format,
    args: &ImportArgs<'_>,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let (config, store) = open(g, format, out)?;
    let Some(account) = config.accounts.get(args.account) else {
        let names: Vec<&str> = config.accounts.keys().map(String::as_str).collect();
        return Err(Failure::Usage(format!(
            "--account {}: postwright.toml has no such account (it has: {})",
            args.account,
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    let since = match args.since {
        None => None,
        Some(text) => {
            // A date alone is its first minute in the config's zone.
            let full = if text.len() == 10 {
                format!("{text} 00:00")
            } else {
                text.to_string()
            };
            Some(
                crate::time::parse_at(&full, &config.timezone)
                    .map_err(|e| Failure::Usage(format!("--since {text}: {e}")))?,
            )
        }
    };
    if args.limit == Some(0) {
        return Err(Failure::Usage(
            "--limit 0 imports nothing: give 1 or more".into(),
        ));
    }
    let store = store.as_ref();
    let state = store.load().map_err(|e| Failure::Error(e.to_string()))?;
    match store.lock() {
        Ok(Locked::Acquired { .. }) => {}
        Ok(Locked::Held(lease)) => {
            return Err(Failure::Error(format!(
                "apply is held by {}; nothing was imported. Run this again once it is done.",
                lease.describe()
            )));
        }
        Ok(Locked::Moved) => {
            return Err(Failure::Error(
                "the state record changed while it was read; nothing was imported. Run this again."
                    .into(),
            ));
        }
        Err(e) => return Err(Failure::Error(e.to_string())),
    }
    let runtime = token_runtime();
    let options = Options {
        account: args.account.to_string(),
        since,
        limit: args.limit,
        media: args.media,
    };
    let mut importer = Importer::new(&g.repo, &config, store, state, options);
    let result = match &runtime {
        Ok(rt) => rt.block_on(crate::platform::with_publisher(
            account.platform,
            &config,
            args.account,
            account,
            Work {
                importer: &mut importer,
            },
        )),
        Err(e) => Err(e.message().unwrap_or("no async runtime").to_string()),
    };
    if let Err(e) = store.release() {
        eprintln!(
            "warning: the lease could not be released ({e}); the next apply waits until it expires"
        );
    }
    // What was listed is the live feed as of now, for the preview's grid
    // (a stopped import's listing is partial: no snapshot then).
    if let (Ok(Ok(())), Ok(rt)) = (&result, &runtime) {
        let mut snapshot =
            crate::live::Snapshot::of_feed(args.account, &importer.seen, jiff::Timestamp::now());
        rt.block_on(snapshot.fetch_thumbs(&g.repo, &importer.seen, crate::preview::LIVE_TILES * 2));
        if let Err(e) = snapshot.save(&g.repo) {
            eprintln!("warning: the live snapshot for the preview could not be written: {e}");
        }
    }
    let outcome = importer.outcome();
    let failed = !matches!(result, Ok(Ok(())));
    let _ = out.write_all(report(outcome, format, failed).as_bytes());
    match result {
        Ok(Ok(())) => Ok(Exit::Ok),
        Ok(Err(e)) => Err(Failure::Error(e.0)),
        Err(why) => Err(Failure::Error(format!("account {}: {why}", args.account))),
    }
}

/// The outcome for people, or as JSON; `failed`: the import stopped (the
/// error is said after it).
fn report(o: &Outcome, format: Format, failed: bool) -> String {
    if format == Format::Json {
        let mut s = serde_json::to_string_pretty(o).unwrap_or_default();
        s.push('\n');
        return s;
    }
    let mut s = String::new();
    for w in &o.written {
        let missing = if w.missing_media > 0 {
            format!(", {} media missing: see the file", w.missing_media)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "wrote   {} (media {}{missing})\n",
            w.file, w.media_id
        ));
        if let Some(why) = &w.invalid {
            s.push_str(&format!("        does not validate: {why}\n"));
        }
    }
    for l in &o.linked {
        s.push_str(&format!("linked  {} (media {})\n", l.file, l.media_id));
    }
    for k in &o.skipped {
        s.push_str(&format!("skipped media {}: {}\n", k.media_id, k.reason));
    }
    if o.written.is_empty() && o.linked.is_empty() && failed {
        s.push_str(&format!(
            "Nothing was imported from {}: the record and the files are as they were.\n",
            o.account
        ));
        return s;
    }
    if o.written.is_empty() && o.linked.is_empty() {
        s.push_str(&format!(
            "Nothing to import from {}: nothing was written ({} live posts are in the record already).\n",
            o.account, o.already_recorded
        ));
        return s;
    }
    s.push_str(&format!(
        "Imported from {}: {} written, {} linked to files you had, {} skipped, {} already recorded ({} pages read, {} media downloaded).\n",
        o.account,
        o.written.len(),
        o.linked.len(),
        o.skipped.len(),
        o.already_recorded,
        o.pages,
        o.media_downloaded
    ));
    if !o.written.is_empty() || !o.linked.is_empty() {
        s.push_str("They are recorded as published: `postwright plan` shows them so and apply never publishes them. Commit the files and the record.\n");
    }
    s
}
