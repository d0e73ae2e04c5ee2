//! Meta's rate-limit headers, and how fast to call because of them.
//!
//! Every Graph answer carries `X-App-Usage` (`{"call_count":…,
//! "total_cputime":…,"total_time":…}`, percent of the app's limit; under
//! Instagram Login the same header reads `{"call_volume":…,"cpu_time":…}`,
//! as reported against the live API in restfb issue #1571, 2025) and, for
//! Instagram calls, `X-Business-Use-Case-Usage` (`{"<id>":[{"type",
//! "call_count","total_cputime","total_time",
//! "estimated_time_to_regain_access"}]}`, the last in minutes). Meta counts
//! calls made while throttled against the block, so postwright slows down
//! before 100 % and, once blocked, waits as long as Meta says.

use serde_json::Value;
use std::time::Duration;

/// The highest use the headers report, and when a block lifts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Highest of call count, CPU time and total time, in percent.
    pub percent: u32,
    /// `estimated_time_to_regain_access` when above zero.
    pub regain: Option<Duration>,
}

impl Usage {
    /// Reads both headers; `None` when neither is there or readable.
    pub fn from_headers(app: Option<&str>, business: Option<&str>) -> Option<Usage> {
        let mut usage = Usage::default();
        let mut seen = false;
        let take = |v: &Value, usage: &mut Usage| {
            // Facebook Login's names, then Instagram Login's.
            for key in [
                "call_count",
                "total_cputime",
                "total_time",
                "call_volume",
                "cpu_time",
            ] {
                if let Some(p) = v.get(key).and_then(Value::as_f64) {
                    usage.percent = usage.percent.max(p.clamp(0.0, 10_000.0) as u32);
                }
            }
            let minutes = v
                .get("estimated_time_to_regain_access")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            if minutes > 0.0 {
                let d = Duration::from_secs_f64(minutes.min(24.0 * 60.0) * 60.0);
                usage.regain = Some(usage.regain.map_or(d, |r| r.max(d)));
            }
        };
        if let Some(v) = app.and_then(|h| serde_json::from_str::<Value>(h).ok()) {
            take(&v, &mut usage);
            seen = true;
        }
        if let Some(Value::Object(map)) = business.and_then(|h| serde_json::from_str(h).ok()) {
            for entries in map.values() {
                for v in entries.as_array().into_iter().flatten() {
                    take(v, &mut usage);
                    seen = true;
                }
            }
        }
        seen.then_some(usage)
    }

    /// At or past the limit with access back later than `max`: `Some`
    /// with the time Meta says until access returns.
    pub fn blocked_beyond(&self, max: Duration) -> Option<Duration> {
        self.regain.filter(|r| self.percent >= 100 && *r > max)
    }

    /// The pause before the next call: none below 75 %, then longer the
    /// closer the account is to its limit, so it never hits 100 % by
    /// running flat out.
    pub fn pace(&self, base: Duration) -> Duration {
        match self.percent {
            0..=74 => Duration::ZERO,
            75..=89 => base,
            90..=99 => base * 4,
            _ => self.regain.unwrap_or(base * 8),
        }
    }
}

/// How long to wait after a rate-limit error: as long as Meta says the
/// block lasts (`regain`), else a backoff; `None` when that is longer than
/// `max` — the caller stops calling for the account and defers its work.
pub fn rate_limit_wait(
    regain: Option<Duration>,
    backoff: Duration,
    max: Duration,
) -> Option<Duration> {
    let wait = regain.unwrap_or(backoff);
    (wait <= max).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUC: &str = r#"{"17841400008460056":[{"type":"instagram","call_count":12,"total_cputime":96,"total_time":40,"estimated_time_to_regain_access":0}]}"#;

    #[test]
    fn the_highest_figure_of_either_header_counts() {
        let u = Usage::from_headers(
            Some(r#"{"call_count":30,"total_cputime":5,"total_time":8}"#),
            Some(BUC),
        )
        .unwrap();
        assert_eq!(u.percent, 96);
        assert_eq!(u.regain, None);
        let u = Usage::from_headers(Some(r#"{"call_count":81}"#), None).unwrap();
        assert_eq!(u.percent, 81);
    }

    #[test]
    fn instagram_logins_usage_names_count_too() {
        let u = Usage::from_headers(Some(r#"{"call_volume":95,"cpu_time":10}"#), None).unwrap();
        assert_eq!(u.percent, 95);
        assert!(
            u.pace(Duration::from_millis(100)) > Duration::ZERO,
            "95 % paces"
        );
        let u = Usage::from_headers(Some(r#"{"call_volume":3,"cpu_time":77}"#), None).unwrap();
        assert_eq!(u.percent, 77);
    }

    #[test]
    fn regain_is_read_in_minutes() {
        let buc =
            r#"{"1":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":3}]}"#;
        let u = Usage::from_headers(None, Some(buc)).unwrap();
        assert_eq!(u.percent, 100);
        assert_eq!(u.regain, Some(Duration::from_secs(180)));
        assert_eq!(u.pace(Duration::from_millis(10)), Duration::from_secs(180));
    }

    #[test]
    fn a_block_longer_than_the_run_may_wait_is_known_before_calling() {
        let buc =
            r#"{"1":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":10}]}"#;
        let u = Usage::from_headers(None, Some(buc)).unwrap();
        assert_eq!(
            u.blocked_beyond(Duration::from_secs(120)),
            Some(Duration::from_secs(600))
        );
        assert_eq!(u.blocked_beyond(Duration::from_secs(600)), None);
        let busy = Usage::from_headers(Some(r#"{"call_volume":99}"#), None).unwrap();
        assert_eq!(busy.blocked_beyond(Duration::ZERO), None, "below 100 %");
    }

    #[test]
    fn unreadable_or_absent_headers_are_none() {
        assert_eq!(Usage::from_headers(None, None), None);
        assert_eq!(Usage::from_headers(Some("not json"), Some("[1]")), None);
    }

    #[test]
    fn a_rate_limit_is_waited_out_as_the_header_says_or_deferred() {
        let s = Duration::from_secs;
        // Meta says 1 minute: wait exactly that, not the backoff.
        assert_eq!(rate_limit_wait(Some(s(60)), s(1), s(120)), Some(s(60)));
        // No estimate: the backoff.
        assert_eq!(rate_limit_wait(None, s(1), s(120)), Some(s(1)));
        // Longer than allowed: give up for now (defer).
        assert_eq!(rate_limit_wait(Some(s(180)), s(1), s(120)), None);
        let buc =
            r#"{"1":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":2}]}"#;
        let regain = Usage::from_headers(None, Some(buc)).unwrap().regain;
        assert_eq!(rate_limit_wait(regain, s(1), s(300)), Some(s(120)));
    }

    #[test]
    fn pacing_rises_toward_the_limit() {
        let base = Duration::from_millis(100);
        let at = |percent| {
            Usage {
                percent,
                regain: None,
            }
            .pace(base)
        };
        assert_eq!(at(0), Duration::ZERO);
        assert_eq!(at(74), Duration::ZERO);
        assert_eq!(at(75), base);
        assert_eq!(at(95), base * 4);
        assert_eq!(at(100), base * 8);
    }
}
