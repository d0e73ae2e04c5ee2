//! How often apply asks Meta whether a container is ready, and how often it
//! says so. Images are usually ready at once and short videos within
//! seconds, so the first 15 s are polled every `poll_interval` (a 5 s reel
//! is seen within about a second of FINISHED, not at the next doubling);
//! longer processing backs off to 5 and then 30 intervals, near Meta's
//! advice of a status read a minute for long videos (docs/instagram.md,
//! "Hosts, logins, versions"), and never past 30 s.

use super::{ContainerState, ContainerStatus, Publisher};
use std::time::{Duration, Instant};

/// The pause before the next status read, after `waited` of waiting.
pub fn delay(waited: Duration, base: Duration) -> Duration {
    let factor = if waited < Duration::from_secs(15) {
        1
    } else if waited < Duration::from_secs(60) {
        5
    } else {
        30
    };
    (base * factor).min(Duration::from_secs(30))
}

/// Polls a container with backoff until it is no longer in progress, the
/// wait is over, or `stop` says so; the last status read. (Each read already
/// retries passing failures.)
pub async fn settle<P: Publisher>(
    publisher: &P,
    container: &str,
    poll_interval: Duration,
    max_wait: Duration,
    stop: impl Fn() -> bool,
) -> Result<ContainerStatus, P::Error> {
    let start = Instant::now();
    loop {
        let s = publisher.status(container).await?;
        if s.state != ContainerState::InProgress || start.elapsed() >= max_wait || stop() {
            return Ok(s);
        }
        tokio::time::sleep(delay(start.elapsed(), poll_interval)).await;
    }
}

/// A progress line while Meta processes, every this many poll intervals
/// (10 s by default).
pub const REPORT_EVERY: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_waits_poll_fast_and_long_ones_back_off() {
        let s = Duration::from_secs;
        let base = s(1);
        assert_eq!(delay(s(0), base), s(1));
        assert_eq!(delay(s(14), base), s(1));
        assert_eq!(delay(s(15), base), s(5));
        assert_eq!(delay(s(59), base), s(5));
        assert_eq!(delay(s(60), base), s(30));
        assert_eq!(delay(s(600), s(5)), s(30), "capped");
        // A 5 s video: read at 0, 1, … 5 s, seen within one interval.
        let mut t = s(0);
        let mut reads = 0;
        while t < s(5) {
            t += delay(t, base);
            reads += 1;
        }
        assert_eq!((t, reads), (s(5), 5));
        // Five minutes of processing: 15 + 9 + 8 reads, not 300.
        let mut t = s(0);
        let mut reads = 0;
        while t < s(300) {
            t += delay(t, base);
            reads += 1;
        }
        assert!(reads <= 32, "{reads}");
    }
}
