//! The server's clock, as its answers' `Date` headers tell it. An
//! `Idempotency-Key` is kept for one hour of the *server's* time
//! (docs/mastodon.md, "Exactly once"), so whether a journaled key can
//! still be sent again is judged on that clock, not the runner's, which
//! may be off by minutes.

use jiff::{SignedDuration, Timestamp};
use std::sync::Mutex;

/// How far the server's clock is from this machine's, once an answer said.
#[derive(Debug, Default)]
pub struct ServerClock {
    offset: Mutex<Option<SignedDuration>>,
}

impl ServerClock {
    /// Reads an answer's `Date` header (RFC 9110: `Mon, 07 Dec 2026
    /// 12:31:52 GMT`), received at `local`; one that does not parse is
    /// ignored.
    pub fn saw(&self, date: Option<&str>, local: Timestamp) {
        let Some(server) = date.and_then(parse_http_date) else {
            return;
        };
        let offset = server.duration_since(local);
        if let Ok(mut held) = self.offset.lock() {
            *held = Some(offset);
        }
    }

    /// The server's time now; `None` until an answer had a `Date`.
    pub fn now(&self) -> Option<Timestamp> {
        let offset = (*self.offset.lock().ok()?)?;
        Timestamp::now().checked_add(offset).ok()
    }
}

/// An HTTP date (RFC 9110's IMF-fixdate, which RFC 2822 also reads).
pub fn parse_http_date(text: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text.trim())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_date_reads_and_sets_the_offset() {
        let t = parse_http_date("Mon, 07 Dec 2026 12:31:52 GMT").unwrap();
        assert_eq!(t.to_string(), "2026-12-07T12:31:52Z");
        assert!(parse_http_date("yesterday").is_none());

        let clock = ServerClock::default();
        assert!(clock.now().is_none());
        clock.saw(Some("not a date"), Timestamp::now());
        assert!(clock.now().is_none());
        // The server two hours ahead of this machine.
        let local = Timestamp::now();
        let server = local + SignedDuration::from_hours(2);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&server)
            .unwrap();
        clock.saw(Some(&date), local);
        let ahead = clock.now().unwrap().duration_since(Timestamp::now());
        let two_h = SignedDuration::from_hours(2);
        assert!(
            ahead > two_h - SignedDuration::from_secs(2) && ahead <= two_h,
            "{ahead:?}"
        );
    }
}
