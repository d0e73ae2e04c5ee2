//! The lease: which apply may write the record (and act on Instagram) now.
//!
//! One writer at a time is what keeps two runs from publishing the same post
//! (a cron run and a manual one, a re-run, a laptop). The git backend keeps
//! the lease in the record's own branch (`lease.json` beside `state.json`),
//! so the compare-and-swap that guards every push of the record guards the
//! lease too: taking, renewing and releasing it are commits like any other.
//! The file backend holds an OS lock instead, which the kernel drops when
//! its process dies.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// Who holds the record, since when, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// What `postwright state unlock` takes.
    pub id: String,
    /// For people: `user@host (pid N)` or the GitHub run.
    pub holder: String,
    pub host: String,
    pub pid: u32,
    /// The GitHub Actions run holding it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
    pub since: Timestamp,
    /// `None` for an OS lock: it lasts as long as its process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// Which running system `pid` belongs to (Linux: boot id and pid
    /// namespace), so that a later run on the same one can tell that the
    /// holder's process has ended without waiting for `until`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
}

impl Lease {
    /// A new lease for this process, valid for `ttl` from now (`None`: an
    /// OS lock).
    pub fn mine(ttl: Option<Duration>) -> Lease {
        let now = Timestamp::now();
        let host = hostname();
        let pid = std::process::id();
        let run_url = run_url();
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_default();
        let holder = match &run_url {
            Some(url) => format!("GitHub Actions run {url}"),
            None if user.is_empty() => format!("{host} (pid {pid})"),
            None => format!("{user}@{host} (pid {pid})"),
        };
        let mut lease = Lease {
            id: new_id(&host, pid, now),
            holder,
            host,
            pid,
            run_url,
            since: now,
            until: None,
            machine: machine(),
        };
        if let Some(ttl) = ttl {
            lease.renew(ttl);
        }
        lease
    }

    /// Moves `until` to `ttl` from now.
    pub fn renew(&mut self, ttl: Duration) {
        let ttl = SignedDuration::try_from(ttl).unwrap_or(SignedDuration::MAX);
        self.until = Some(Timestamp::now().checked_add(ttl).unwrap_or(Timestamp::MAX));
    }

    /// Still in force at `now` (an OS lock always is while it is held).
    pub fn live(&self, now: Timestamp) -> bool {
        self.until.is_none_or(|u| u > now)
    }

    /// The holder ran on this very system (same boot, same pid namespace)
    /// and its process is gone: a crash or a kill here, so the lease need
    /// not be waited out. Anywhere else (another runner, another
    /// container) only `until` can tell.
    pub fn holder_gone(&self) -> bool {
        match (&self.machine, machine()) {
            (Some(theirs), Some(ours)) => {
                *theirs == ours
                    && self.host == hostname()
                    && self.pid != std::process::id()
                    && !running(self.pid)
            }
            _ => false,
        }
    }

    /// Why a lease taken over was free: `expired`, or its process ended.
    pub fn ended(&self) -> &'static str {
        if self.live(Timestamp::now()) {
            "its process has ended"
        } else {
            "expired"
        }
    }

    /// `HOLDER until TIME (lease ID)`, for messages.
    pub fn describe(&self) -> String {
        match self.until {
            Some(until) => format!(
                "{} until {} (lease {})",
                self.holder,
                until.round(jiff::Unit::Second).unwrap_or(until),
                self.id
            ),
            None => format!(
                "{} (since {}; an OS lock, released when that process ends)",
                self.holder,
                self.since.round(jiff::Unit::Second).unwrap_or(self.since)
            ),
        }
    }
}

/// What taking the lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locked {
    /// Ours now; `took_over` is the expired lease of a holder that died.
    Acquired { took_over: Option<Lease> },
    /// Someone else holds a live lease.
    Held(Lease),
    /// The record changed since it was read: read it again and re-plan.
    Moved,
}

/// Short, unique enough to tell runs apart, and easy to type.
fn new_id(host: &str, pid: u32, now: Timestamp) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(host.as_bytes());
    h.update(pid.to_le_bytes());
    h.update(now.as_nanosecond().to_le_bytes());
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    h.update(
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_le_bytes(),
    );
    let digest = h.finalize();
    crate::hex::hex(&digest[..6])
}

/// A process `pid` of this pid namespace that has not ended (a zombie,
/// killed and waiting for its parent to reap it, has).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `PID (COMM) STATE …`; COMM may hold spaces and parentheses.
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().chars().next()),
            Some(Some('Z' | 'X'))
        ),
        Err(_) => Path::new(&format!("/proc/{pid}")).exists(),
    }
}

/// `BOOT-ID/pid:[NS]` on Linux; `None` where that cannot be known.
fn machine() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{}/{}", boot.trim(), ns.display()))
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "unknown-host".into())
}

/// `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`.
fn run_url() -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
    Some(format!(
        "{server}/{}/actions/runs/{}",
        var("GITHUB_REPOSITORY")?,
        var("GITHUB_RUN_ID")?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_lives_until_its_time_and_renews() {
        let mut l = Lease::mine(Some(Duration::from_secs(60)));
        let now = Timestamp::now();
        assert!(l.live(now));
        assert!(!l.live(now + SignedDuration::from_secs(61)));
        l.until = Some(now - SignedDuration::from_secs(1));
        assert!(!l.live(now));
        l.renew(Duration::from_secs(60));
        assert!(l.live(now + SignedDuration::from_secs(59)));
        assert_eq!(l.id.len(), 12);
        assert!(l.describe().contains(&l.id), "{}", l.describe());
        let os = Lease::mine(None);
        assert!(os.live(now + SignedDuration::from_hours(1000)));
        assert!(os.describe().contains("OS lock"));
        assert_ne!(Lease::mine(None).id, Lease::mine(None).id);
        // Our own process is not gone; a pid that is not running here is,
        // but only when the lease is from this very system.
        assert!(!l.holder_gone());
        if l.machine.is_some() {
            let mut dead = l.clone();
            dead.pid = u32::MAX - 7;
            assert!(dead.holder_gone());
            dead.machine = Some("another-boot/pid:[1]".into());
            assert!(!dead.holder_gone());
            dead.machine = None;
            assert!(!dead.holder_gone());
        }
        let text = serde_json::to_string(&l).unwrap();
        assert_eq!(serde_json::from_str::<Lease>(&text).unwrap(), l);
    }
}
