//! Reading times: `publish_at` values of posts and `--at` of the command line.
//!
//! A `publish_at` without an offset is a wall-clock time in the config's
//! time zone. Wall-clock times that do not exist (the hour skipped when
//! clocks go forward) resolve to the same distance after the gap, and times
//! that happen twice (the hour repeated when clocks go back) resolve to the
//! first of the two — the "compatible" rule of RFC 5545 and Temporal, and
//! what a person setting an alarm expects.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

/// Parses a `publish_at` value. Accepted forms:
/// `2026-12-01T09:00:00+01:00` (RFC 3339), `2026-12-01T09:00:00Z`,
/// `2026-12-01T09:00[Europe/Berlin]` (RFC 9557), and `2026-12-01 09:00` or
/// `2026-12-01T09:00:00` (wall-clock time in `tz`).
pub fn parse_publish_at(text: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    if text.contains('[') {
        return text
            .parse::<ZonedDateTime>()
            .map(|z| z.timestamp())
            .map_err(|e| format!("`{text}` is not a date and time with a zone: {e}"));
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    match text.parse::<DateTime>() {
        Ok(dt) if has_time(text) => tz
            .to_zoned_datetime(dt)
            .map(|z| z.timestamp())
            .map_err(|e| format!("`{text}` cannot be placed in the time zone: {e}")),
        Ok(_) => Err(format!("`{text}` has a date but no time of day")),
        Err(_) => Err(format!(
            "`{text}` is not a date and time postwright can read"
        )),
    }
}

/// A `publish_at` written with its own zone or offset, as that zone's wall
/// clock (`2026-12-05 18:00 EST`, `2026-12-05 18:00 -05:00`); `None` for a
/// wall-clock time in the config's zone, or text that does not parse.
pub fn own_zone(text: &str) -> Option<String> {
    let text = text.trim();
    if text.contains('[') {
        return text
            .parse::<ZonedDateTime>()
            .ok()
            .map(|z| z.strftime("%Y-%m-%d %H:%M %Z").to_string());
    }
    if text.parse::<Timestamp>().is_err() {
        return None;
    }
    // RFC 3339: the clock as written, and its offset.
    let (clock, offset) = if let Some(c) = text.strip_suffix(['Z', 'z']) {
        (c, "UTC")
    } else {
        let at = text.rfind(['+', '-']).filter(|at| *at > 10)?;
        (&text[..at], &text[at..])
    };
    let clock = clock.parse::<DateTime>().ok()?;
    Some(format!("{} {offset}", minutes(clock)))
}

/// `%Y-%m-%d %H:%M` of `clock`, written directly for four-digit years
/// (plan asks this of every post; strftime was most of the cost).
fn minutes(clock: DateTime) -> String {
    if !(0..=9999).contains(&clock.year()) {
        return clock.strftime("%Y-%m-%d %H:%M").to_string();
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        clock.year(),
        clock.month(),
        clock.day(),
        clock.hour(),
        clock.minute()
    )
}

/// The help line for an unreadable `publish_at`.
pub const PUBLISH_AT_HELP: &str = "write it like 2026-12-01 09:00 (config timezone), 2026-12-01T09:00:00+01:00, or 2026-12-01T09:00[Europe/Berlin]";

fn has_time(text: &str) -> bool {
    text.len() > 10
}

/// Parses `--at`: RFC 3339 with an offset, or a wall-clock time in `tz`.
pub fn parse_at(text: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    parse_publish_at(text, tz)
}

/// "3 days", "2 h 5 min": the distance between two instants, rounded for people.
pub fn until(from: Timestamp, to: Timestamp) -> String {
    let secs = to.as_second().saturating_sub(from.as_second()).max(0);
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    match (d, h, m) {
        (0, 0, 0) => "less than a minute".into(),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (1, h, _) => format!("1 day {h} h"),
        (d, _, _) => format!("{d} days"),
    }
}

/// A timestamp as people in the config's zone read it: `2026-12-01 09:00 CET`.
pub fn local(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn minutes_are_strftimes() {
        for text in [
            "0000-01-01T00:00",
            "0001-02-03T04:05",
            "0999-12-31T23:59",
            "2026-12-07T09:00:59",
            "9999-12-31T23:59",
            "-000001-06-15T12:30",
            "-009999-01-01T00:00",
        ] {
            let clock: DateTime = text.parse().unwrap();
            assert_eq!(
                minutes(clock),
                clock.strftime("%Y-%m-%d %H:%M").to_string(),
                "{text}"
            );
        }
    }

    #[test]
    fn forms() {
        let tz = berlin();
        assert_eq!(
            parse_publish_at("2026-12-01T09:00:00+01:00", &tz),
            Ok(ts("2026-12-01T08:00:00Z"))
        );
        assert_eq!(
            parse_publish_at("2026-12-01 09:00", &tz),
            Ok(ts("2026-12-01T08:00:00Z"))
        );
        assert_eq!(
            parse_publish_at("2026-07-01T09:00:00", &tz),
            Ok(ts("2026-07-01T07:00:00Z"))
        );
        assert_eq!(
            parse_publish_at("2026-12-01T09:00[America/New_York]", &tz),
            Ok(ts("2026-12-01T14:00:00Z"))
        );
        assert!(parse_publish_at("2026-12-01", &tz)
            .unwrap_err()
            .contains("no time"));
        assert!(parse_publish_at("tomorrow", &tz).is_err());
        assert!(parse_publish_at("2026-02-30 09:00", &tz).is_err());
    }

    #[test]
    fn dst_gap_and_fold() {
        let tz = berlin();
        // 02:30 does not exist on 2026-03-29 in Berlin: it becomes 03:30 CEST.
        assert_eq!(
            parse_publish_at("2026-03-29 02:30", &tz),
            Ok(ts("2026-03-29T01:30:00Z"))
        );
        // 02:30 happens twice on 2026-10-25: the first (CEST) is taken.
        assert_eq!(
            parse_publish_at("2026-10-25 02:30", &tz),
            Ok(ts("2026-10-25T00:30:00Z"))
        );
    }

    #[test]
    fn a_publish_at_with_its_own_zone_is_shown_on_its_own_clock() {
        assert_eq!(
            own_zone("2026-12-05T18:00:00-05:00").as_deref(),
            Some("2026-12-05 18:00 -05:00")
        );
        assert_eq!(
            own_zone("2026-12-05T23:00:00Z").as_deref(),
            Some("2026-12-05 23:00 UTC")
        );
        assert_eq!(
            own_zone("2026-12-05T18:00[America/New_York]").as_deref(),
            Some("2026-12-05 18:00 EST")
        );
        assert_eq!(own_zone("2026-12-05 18:00"), None, "the config's zone");
        assert_eq!(own_zone("not a time"), None);
    }
}
