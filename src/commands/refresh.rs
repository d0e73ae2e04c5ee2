//! `--refresh` of `plan` and `status`: each account's live posts read
//! through its platform, and the drift against the record
//! ([`crate::plan::drift`]).

use crate::config::Config;
use crate::plan::drift::{self, Drift, Listing};
use crate::platform::{AccountWork, ErrorClass, Feed, LiveMedia, PlatformError, Publisher};
use crate::state::State;

/// How many of an account's newest posts are read: drift is judged for
/// the records these cover (a deleted post older than the listing is
/// not seen).
const NEWEST: usize = 100;

/// The drift of every account whose credential is set; accounts that
/// cannot be read are said on stderr and skipped (`refreshed` lists the
/// ones read).
pub struct Refreshed {
    pub drift: Vec<Drift>,
    pub refreshed: Vec<String>,
    pub skipped: Vec<String>,
}

/// Reads every account and writes its snapshot (`crate::live`) for the
/// preview's grid.
pub fn refresh(repo: &std::path::Path, config: &Config, state: &State) -> Refreshed {
    let mut out = Refreshed {
        drift: Vec::new(),
        refreshed: Vec::new(),
        skipped: Vec::new(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("warning: --refresh: cannot start the async runtime: {e}");
            return out;
        }
    };
    for (name, account) in &config.accounts {
        let set = std::env::var(account.token_env()).is_ok_and(|t| !t.trim().is_empty());
        if !set {
            let why = format!(
                "account {name}: not read (its credential variable {} is not set)",
                account.token_env()
            );
            eprintln!("note: --refresh: {why}");
            out.skipped.push(why);
            continue;
        }
        let read = runtime.block_on(crate::platform::with_publisher(
            account.platform,
            config,
            name,
            account,
            ReadLive,
        ));
        match read.and_then(|r| r) {
            Ok((live, since)) => {
                eprintln!(
                    "refreshed {name}: {} live post{} read",
                    live.len(),
                    if live.len() == 1 { "" } else { "s" }
                );
                out.drift.extend(drift::compare(
                    state,
                    Listing {
                        account: name,
                        live: &live,
                        since,
                    },
                ));
                let snapshot = crate::live::Snapshot::of(name, &live, jiff::Timestamp::now());
                if let Err(e) = snapshot.save(repo) {
                    eprintln!(
                        "warning: --refresh: cannot write the snapshot of {name} in {}: {e}",
                        crate::live::dir(repo).display()
                    );
                }
                out.refreshed.push(name.clone());
            }
            Err(why) => {
                let why = crate::hosting::redact::urls(&format!("account {name}: {why}"));
                eprintln!("warning: --refresh: {why}");
                out.skipped.push(why);
            }
        }
    }
    out
}

/// Reads an account's newest posts: the list, and the time from which it
/// covers every post.
struct ReadLive;

impl AccountWork for ReadLive {
    type Output = Result<(Vec<LiveMedia>, Option<jiff::Timestamp>), String>;

    async fn run<P: Publisher>(self, publisher: P) -> Self::Output {
        let live = match publisher.find_live(Feed::Posts, NEWEST).await {
            Ok(l) => l,
            Err(e) if e.class() == ErrorClass::Unsupported => {
                return Err("its platform does not list live posts".into())
            }
            Err(e) => return Err(e.explain()),
        };
        // Only what the listing covers is judged: back to its oldest post
        // (a platform may list fewer than asked, and an older post missing
        // from it is not proved deleted). An empty listing proves nothing.
        let since = live
            .iter()
            .filter_map(|m| m.published)
            .min()
            .unwrap_or_else(jiff::Timestamp::now);
        Ok((live, Some(since)))
    }
}
