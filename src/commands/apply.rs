//! `postwright apply`: plan, take the record's lease, run the plan while
//! renewing the lease, release it, report.

use super::{make_plan, open, Ask, Planned};
use super::{workspace_prefix, Exit, Failure, Globals};
use crate::hosting::store::MediaStore;
use crate::plan::{self, Action};
use crate::report::{self, Format};
use crate::state::{Locked, Store};
use crate::validate;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of `apply`.
pub struct ApplyArgs<'a> {
    pub at: Option<&'a str>,
    pub only: &'a [String],
    pub prune: bool,
    pub out: Option<&'a std::path::Path>,
    /// How long to wait for another apply's lease to end.
    pub lock_timeout: Duration,
    /// Exit 2 when a due post is held for a person.
    pub detailed_exitcode: bool,
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// How many times the record may move under us before apply gives up for
/// this run (each time means another writer got there first).
const MAX_REPLANS: usize = 20;

/// Runs of the plan after another writer took the record over mid-run
/// (the first run included).
const MAX_ROUNDS: usize = 3;

/// `postwright apply`.
pub fn apply(
    g: &Globals,
    format: Format,
    args: &ApplyArgs<'_>,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let (config, store) = open(g, format, out)?;
    let store = store.as_ref();
    if let Some(note) = store.local_only_note() {
        eprintln!("warning: {note}");
    }
    // A push rejected mid-run means another writer: this run stopped
    // starting new work. Read the record again, plan again, and go on only
    // where the fresh record (and its lease) allows.
    let again =
        |r: &crate::apply::Report| r.stopped.as_ref().is_some_and(|s| !s.fails) && !r.interrupted;
    let flight = crate::apply::Flight::default();
    let round = |out: &mut dyn Write| guarded(g, format, &config, store, args, &flight, out);
    let (mut all, mut invalid) = round(out)?;
    for _ in 1..MAX_ROUNDS {
        if !again(&all) {
            break;
        }
        eprintln!("reading the state record again after another writer changed it");
        let (report, now_invalid) = round(out)?;
        for o in report.outcomes {
            match all.outcomes.iter_mut().find(|x| x.key() == o.key()) {
                Some(x) => *x = o,
                None => all.outcomes.push(o),
            }
        }
        all.warnings.extend(report.warnings);
        all.stopped = report.stopped;
        all.interrupted |= report.interrupted;
        invalid |= now_invalid;
    }
    Ok(finish(g, format, args, &all, invalid, out))
}

/// What [`round`] returns.
type Round = Result<(crate::apply::Report, bool), Failure>;

/// [`round`], with a panic outside the run itself (taking the lease,
/// planning) handled as one inside it is: the lease released if this run
/// held one, a word on what was in flight, exit 1.
fn guarded(
    g: &Globals,
    format: Format,
    config: &crate::config::Config,
    store: &dyn Store,
    args: &ApplyArgs<'_>,
    flight: &crate::apply::Flight,
    out: &mut dyn Write,
) -> Round {
    let ran = std::panic::catch_unwind(AssertUnwindSafe(|| {
        round(g, format, config, store, args, flight, out)
    }));
    ran.unwrap_or_else(|panic| {
        let lease = release_after_panic(store, None, config.state.lease_secs);
        say_panic(&crate::apply::panic_message(panic.as_ref()), flight, &lease);
        Err(Failure::Reported(Exit::Error))
    })
}

/// Plan, lease, run once. `Err(code)`: already reported, nothing done.
fn round(
    g: &Globals,
    format: Format,
    config: &crate::config::Config,
    store: &dyn Store,
    args: &ApplyArgs<'_>,
    flight: &crate::apply::Flight,
    out: &mut dyn Write,
) -> Round {
    let (at, prune) = (args.at, args.prune);
    let deadline = Instant::now() + args.lock_timeout;
    let mut waiting_said = false;
    let mut replans = 0;
    // Plan from the record as read; take the lease on exactly that record
    // (the git backend's push is a compare-and-swap on it). When the record
    // moved meanwhile, read it again and plan again.
    let (planned, locked, only) = loop {
        let planned = make_plan(
            g,
            format,
            config.clone(),
            store,
            Ask {
                at,
                prune,
                read_only: None,
            },
            out,
        )?;
        let only = resolve_only(&planned.plan, args.only, &g.repo)?;
        let selected = |id: &str| only.is_empty() || only.iter().any(|o| o == id);
        let writes = planned
            .plan
            .entries
            .iter()
            .any(|e| selected(&e.id) && (e.calls_meta(prune) || e.moved_from.is_some()));
        if !writes {
            say_why_nothing(&planned.plan, &only);
            break (planned, false, only);
        }
        match store.lock() {
            Ok(Locked::Acquired { took_over }) => {
                if let Some(old) = took_over {
                    let how = if old.live(jiff::Timestamp::now()) {
                        "the lease of"
                    } else {
                        "the expired lease of"
                    };
                    eprintln!(
                        "took over {how} {} (lease {}; {}); the record says what it left in flight",
                        old.holder,
                        old.id,
                        old.ended()
                    );
                }
                break (planned, true, only);
            }
            Ok(Locked::Moved) => {
                replans += 1;
                if replans > MAX_REPLANS {
                    return Err(Failure::Error("the state record kept changing while this apply tried to take its lease; nothing was done. Run apply again.".to_string()));
                }
            }
            Ok(Locked::Held(lease)) => {
                let now = Instant::now();
                if now < deadline {
                    if !waiting_said {
                        eprintln!(
                            "waiting up to {}s: apply is held by {}",
                            args.lock_timeout.as_secs(),
                            lease.describe()
                        );
                        waiting_said = true;
                    }
                    // Watch the lease alone; validate and plan again only
                    // once it is free (or the wait is over).
                    if let Err(e) = wait_for_lease(store, deadline) {
                        return Err(Failure::Error(e.in_apply().to_string()));
                    }
                    continue;
                }
                let why = format!("apply is held by {}", lease.describe());
                eprintln!("deferred: {why}. Nothing was sent to any platform; the next apply goes on from the record.");
                let report = crate::apply::deferred(&planned.plan, &only, prune, &why);
                return Ok((report, false));
            }
            Err(e) => {
                return Err(Failure::Error(e.in_apply().to_string()));
            }
        }
    };
    run_leased(g, store, locked, flight, planned, &only, prune)
}

/// Runs the plan under the lease (when `locked`), renewing it, and gives
/// it up at the end — also after a panic, which ends the run with exit 1.
fn run_leased(
    g: &Globals,
    store: &dyn Store,
    locked: bool,
    flight: &crate::apply::Flight,
    planned: Planned,
    only: &[String],
    prune: bool,
) -> Round {
    let Planned {
        plan,
        config,
        posts,
        state,
        hosting,
        ..
    } = planned;
    let selected = |id: &str| only.is_empty() || only.iter().any(|o| o == id);
    let invalid: Vec<&plan::Entry> = plan
        .entries
        .iter()
        .filter(|e| e.action == Action::Invalid && selected(&e.id))
        .collect();
    for e in &invalid {
        eprintln!("✗ {}: invalid, skipped ({})", e.file, e.reason);
    }
    let mut options = crate::apply::Options::from_config(&config, only.to_vec(), prune);
    options.flight = flight.clone();
    // The commit the files come from, before Git LFS checks media out.
    let source = plan::base::head(&g.repo);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            release(store, locked);
            return Err(Failure::Io(format!("cannot start the async runtime: {e}")));
        }
    };
    // SIGINT/SIGTERM: no new step starts; the one in flight finishes and is
    // journaled; then the run ends with a word on what to rerun.
    let interrupted = options.interrupted.clone();
    runtime.spawn(async move {
        wait_for_signal().await;
        interrupted.store(true, std::sync::atomic::Ordering::SeqCst);
        eprintln!("interrupted: finishing the step in flight, then stopping (a second signal does not speed this up)");
    });
    let mut progress = crate::report::progress::stderr();
    let done = AtomicBool::new(false);
    // A panic anywhere in the run (this thread, the renewals, LFS) is
    // caught here, once the renewals have stopped (see `StopRenewals`).
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        std::thread::scope(|scope| {
            // First in, so dropped last: also while a panic unwinds, and
            // before the scope waits for the renewal thread.
            let _stop = StopRenewals(&done);
            if locked {
                let every = Duration::from_secs(config.state.lease_secs.max(1)) / 3;
                let done = &done;
                scope.spawn(move || renew_until(|| store.renew(), every, done));
            }
            // Inside the lease's renewal: fetching a reel can take a while.
            let fetched =
                super::apply_lfs::fetch(&g.repo, &config, &plan, &posts, &hosting, &selected);
            let context = crate::apply::Context {
                repo: &g.repo,
                config: &config,
                plan: &plan,
                posts: targets(&posts, &fetched.posts),
                hosting: &hosting,
                media_store: config
                    .store
                    .as_ref()
                    .map(|spec| Arc::new(MediaStore::open(spec, &g.repo))),
                store,
                state,
                options,
                source,
                blocked: fetched.blocked.clone(),
            };
            runtime.block_on(crate::apply::apply(context, progress.as_mut()))
        })
    }));
    let result = match result {
        Ok(r) => r,
        Err(panic) => {
            // No task may call a platform once the lease is given up.
            runtime.shutdown_timeout(SHUTDOWN);
            let lease = release_after_panic(store, Some(locked), config.state.lease_secs);
            say_panic(&crate::apply::panic_message(panic.as_ref()), flight, &lease);
            return Err(Failure::Reported(Exit::Error));
        }
    };
    release(store, locked);
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            return Err(Failure::Error(format!("{}\nThe run stopped to avoid publishing without a record; fix the state record, then run apply again.", e.in_apply())));
        }
    };
    Ok((report, !invalid.is_empty()))
}

/// The valid targets by (post id, account): those checked again once
/// their Git LFS objects were fetched instead of the plan's.
fn targets<'p>(
    posts: &'p [validate::Checked],
    fetched: &'p [validate::ValidPost],
) -> std::collections::HashMap<(&'p str, &'p str), &'p validate::ValidPost> {
    let planned = posts.iter().flat_map(|c| &c.valid);
    planned
        .chain(fetched)
        .map(|v| ((v.post.id.as_str(), v.account.as_str()), v))
        .collect()
}

/// Re-reads the record (fetching it, for the git backend) every half
/// second until no live lease of another apply is on it, or `deadline`.
fn wait_for_lease(store: &dyn Store, deadline: Instant) -> Result<(), crate::state::StateError> {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(500)));
        store.load()?;
        match store.lease()? {
            Some(l) if l.live(jiff::Timestamp::now()) && !l.holder_gone() => {}
            _ => return Ok(()),
        }
    }
}

/// Stops the lease's renewals when dropped, whether the run ended or
/// panicked: without it a panic would leave the renewal thread renewing
/// (and the job hanging) until the CI killed it, with every later apply
/// deferring to a lease that never ends.
struct StopRenewals<'a>(&'a AtomicBool);

impl Drop for StopRenewals<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Renews the lease every `every` until `done` (checked every 50 ms, so a
/// stop takes effect at once). A panic in a renewal stops the renewals
/// only, said in a line: the run goes on and reports; if the lease lapses
/// meanwhile and another apply takes it, this run's next push is refused
/// and it starts nothing more.
fn renew_until(
    renew: impl Fn() -> Result<(), crate::state::StateError>,
    every: Duration,
    done: &AtomicBool,
) {
    let mut last = Instant::now();
    while !done.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
        if last.elapsed() >= every && !done.load(Ordering::SeqCst) {
            last = Instant::now();
            match std::panic::catch_unwind(AssertUnwindSafe(&renew)) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("warning: cannot renew the lease: {e}"),
                Err(panic) => {
                    let why = crate::apply::panic_message(panic.as_ref());
                    eprintln!("warning: renewing the lease stopped on an internal error (a bug in postwright; please report it): {why}; the lease is no longer renewed");
                    return;
                }
            }
        }
    }
}

/// How long tasks still running after a panic get to stop.
const SHUTDOWN: Duration = Duration::from_secs(2);

/// After a panic the lease is released, not left to expire: everything
/// that reached a platform was journaled before (a `publishing` entry is on
/// the remote before `media_publish`), so the record is as a killed run
/// leaves it, and the next run settles it by asking the platform. Waiting
/// out the lease would only delay that. The release is the same
/// compare-and-swap as every push: if the run's view of the record is off,
/// it is refused and the lease expires by itself. A panic in the release
/// itself is caught too: it must not stop the exit.
/// `locked`: whether the run held the lease; `None` when the panic came
/// before that was known (the release then does nothing if it held none).
fn release_after_panic(store: &dyn Store, locked: Option<bool>, lease_secs: u64) -> String {
    if locked == Some(false) {
        return "no lease was held".into();
    }
    let released = match locked {
        Some(_) => "the lease was released",
        None => "the lease, if this run held one, was released",
    };
    match std::panic::catch_unwind(AssertUnwindSafe(|| store.release())) {
        Ok(Ok(())) => format!("{released}, so the next apply starts at once"),
        Ok(Err(e)) => format!(
            "the lease could not be released ({e}); it expires by itself within {lease_secs} s, then the next apply takes it over"
        ),
        Err(_) => format!(
            "the lease could not be released (the release failed too); it expires by itself within {lease_secs} s, then the next apply takes it over"
        ),
    }
}

/// The word after a panic: what, what was in flight, the lease, what next.
fn say_panic(message: &str, flight: &crate::apply::Flight, lease: &str) {
    eprintln!("error: apply stopped on an internal error (a bug in postwright; please report it): {message}");
    for line in flight.describe() {
        eprintln!("  {line}");
    }
    eprintln!("  {lease}. Run `postwright apply` again: it settles what was in flight from the record and publishes nothing twice.");
}

/// Sends what is still local and gives the lease up; a failure only
/// delays the next run until the lease expires.
fn release(store: &dyn Store, locked: bool) {
    if !locked {
        return;
    }
    if let Err(e) = store.release() {
        eprintln!(
            "warning: the lease could not be released ({e}); the next apply waits until it expires"
        );
    }
}

/// Writes the report and returns the exit code.
fn finish(
    g: &Globals,
    format: Format,
    args: &ApplyArgs<'_>,
    report: &crate::apply::Report,
    invalid: bool,
    out: &mut dyn Write,
) -> Exit {
    let text = match format {
        Format::Json => report::apply::json(report),
        Format::Github => {
            report::github::append_step_summary(&report::apply::human(report, true));
            report::apply::github(report, &workspace_prefix(&g.repo))
        }
        Format::Human | Format::Markdown => {
            report::apply::human(report, format == Format::Markdown)
        }
    };
    match args.out {
        // Everything is recorded already: a report that cannot be written
        // is an error, but never a reason to redo anything.
        Some(path) => {
            // A file is never coloured.
            if let Err(e) = std::fs::write(path, report::style::strip(&text)) {
                eprintln!("error: --out {}: {e}", path.display());
                return Exit::Error;
            }
            eprintln!("{}", report::apply::summary_line(report));
        }
        None => {
            let _ = out.write_all(text.as_bytes());
        }
    }
    if report.interrupted {
        eprintln!("apply was interrupted; everything done so far is recorded. Run `postwright apply` again to finish.");
        return Exit::Interrupted;
    }
    if report.failed() || invalid {
        Exit::Error
    } else if args.detailed_exitcode && report.needs_person() {
        Exit::Pending
    } else {
        Exit::Ok
    }
}

/// `--only` names posts by id or by file (as shells complete them:
/// `posts/x.md`, `./posts/x.md`, or a path under `--repo`); each becomes
/// its id. A name that is neither is a usage error with the closest id.
fn resolve_only(plan: &plan::Plan, only: &[String], repo: &Path) -> Result<Vec<String>, Failure> {
    let ids: Vec<String> = plan.entries.iter().map(|e| e.id.clone()).collect();
    only.iter()
        .map(|name| {
            if ids.iter().any(|id| id == name) {
                return Ok(name.clone());
            }
            let path = Path::new(name);
            let rel = path
                .strip_prefix(repo)
                .unwrap_or(path)
                .to_string_lossy()
                .trim_start_matches("./")
                .replace('\\', "/");
            if let Some(e) = plan.entries.iter().find(|e| e.file == rel) {
                return Ok(e.id.clone());
            }
            let hint = match validate::schema::closest(name, &ids) {
                Some(id) => format!("; did you mean `{id}`?"),
                None => String::new(),
            };
            Err(Failure::Usage(format!(
                "--only {name}: no post has this id or file{hint} (`postwright plan` lists them)"
            )))
        })
        .collect()
}

/// With `--only`, a post that needs nothing now says why (scheduled, a
/// draft, published, invalid) instead of a bare "nothing to do".
fn say_why_nothing(plan: &plan::Plan, only: &[String]) {
    for e in plan.entries.iter().filter(|e| only.contains(&e.id)) {
        eprintln!("{}: {} — {}", e.file, e.action, e.reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// The renewals run while the run does, and a panic in the run stops
    /// them at once: the scope (which waits for the renewal thread) ends,
    /// so the panic reaches the handler instead of the process hanging.
    #[test]
    fn a_panic_in_the_run_stops_the_renewals_instead_of_hanging() {
        let done = AtomicBool::new(false);
        let renewals = AtomicUsize::new(0);
        let started = Instant::now();
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
            std::thread::scope(|scope| {
                let _stop = StopRenewals(&done);
                let (done, renewals) = (&done, &renewals);
                let renew = move || {
                    renewals.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                };
                scope.spawn(move || renew_until(renew, Duration::from_millis(10), done));
                std::thread::sleep(Duration::from_millis(200));
                panic!("the run panics");
            })
        }));
        assert!(caught.is_err());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        let made = renewals.load(Ordering::SeqCst);
        assert!(made > 0, "renewed while the run ran");
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(
            renewals.load(Ordering::SeqCst),
            made,
            "no renewal after the stop"
        );
    }

    /// A renewal that panics stops the renewals, not the run (whose report
    /// would otherwise be lost at the end of the scope).
    #[test]
    fn a_panic_in_a_renewal_stops_the_renewals_only() {
        let done = AtomicBool::new(false);
        let renewals = AtomicUsize::new(0);
        let renew = || -> Result<(), crate::state::StateError> {
            renewals.fetch_add(1, Ordering::SeqCst);
            panic!("a renewal panics")
        };
        let ran = std::thread::scope(|scope| {
            scope.spawn(|| renew_until(renew, Duration::from_millis(10), &done));
            std::thread::sleep(Duration::from_millis(300));
            "the run's report"
        });
        assert_eq!(ran, "the run's report");
        assert_eq!(
            renewals.load(Ordering::SeqCst),
            1,
            "one renewal, then no more"
        );
    }
}
