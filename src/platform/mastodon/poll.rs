//! A post's poll (`mastodon: {poll: {options, expires_in, multiple,
//! hide_totals}}`) and the image focal points (`mastodon: {focus: […]}`):
//! how they are written, and the checks Mastodon's PollOptionsValidator
//! and PollExpirationValidator make, against an instance's `polls`
//! configuration. Validate (offline, with lines), plan (online) and apply
//! (before any upload) share these checks. Facts: docs/mastodon.md
//! ("Polls", "Media").

use super::instance::InstanceLimits;
use serde::Deserialize;
use unicode_segmentation::UnicodeSegmentation;

/// `poll:` in a post's `mastodon:` map, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PollOptions {
    /// The choices, in order.
    #[serde(default)]
    pub options: Vec<String>,
    /// How long it stays open; the schema requires it.
    pub expires_in: Option<Expiry>,
    /// Several choices may be picked.
    #[serde(default)]
    pub multiple: bool,
    /// The counts stay hidden until the poll ends.
    #[serde(default)]
    pub hide_totals: bool,
}

/// `expires_in`: seconds, or a duration such as `1d`, `6h`, `30m`,
/// `1d12h` (people think of a poll's length in days and hours).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expiry {
    Seconds(u64),
    Text(String),
}

impl Expiry {
    /// The seconds it means; `Err` says why it means none.
    pub fn seconds(&self) -> Result<u64, String> {
        match self {
            Expiry::Seconds(s) => Ok(*s),
            Expiry::Text(t) => parse_duration(t).ok_or_else(|| {
                format!("`{t}` is not a duration: write seconds (3600) or a number with d, h, m or s (1d, 6h, 30m, 1d12h)")
            }),
        }
    }
}

fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(n) = text.parse::<u64>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    digits.is_empty().then_some(total)
}

/// One thing wrong with a poll: where under `/mastodon/poll` (a JSON
/// pointer suffix such as `/options/2`), what, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub at: String,
    pub message: String,
    pub help: String,
}

/// PollOptionsValidator and PollExpirationValidator's checks, with the
/// instance's `polls` numbers; `with_media`: the post has attachments (a
/// poll cannot go with them).
pub fn check(poll: &PollOptions, with_media: bool, limits: &InstanceLimits) -> Vec<Fault> {
    let mut out = Vec::new();
    let mut fault = |at: String, message: String, help: &str| {
        out.push(Fault {
            at,
            message,
            help: help.to_string(),
        })
    };
    if with_media {
        fault(
            String::new(),
            "a Mastodon status has a poll or media, not both".into(),
            "post the poll on its own, or give Mastodon no media: `mastodon: {media: []}`",
        );
    }
    let n = poll.options.len();
    let max = limits.poll_max_options;
    if n < 2 {
        fault(
            "/options".into(),
            format!("a poll needs at least 2 options; this one has {n}"),
            "add options: `options: [Yes, No]`",
        );
    } else if n > max {
        fault(
            format!("/options/{max}"),
            format!("the instance takes at most {max} poll options; this one has {n}"),
            "remove options",
        );
    }
    let per = limits.poll_max_characters_per_option;
    for (i, o) in poll.options.iter().enumerate() {
        let len = o.graphemes(true).count();
        if o.trim().is_empty() {
            fault(
                format!("/options/{i}"),
                format!("poll option {} is empty", i + 1),
                "write the option, or remove it",
            );
        } else if len > per {
            fault(
                format!("/options/{i}"),
                format!(
                    "poll option {} has {len} characters; the instance takes at most {per}",
                    i + 1
                ),
                "shorten it",
            );
        } else if poll.options[..i].contains(o) {
            fault(
                format!("/options/{i}"),
                format!("poll option {} repeats an earlier one (`{o}`)", i + 1),
                "make every option different",
            );
        }
    }
    if let Some(e) = &poll.expires_in {
        let (min, max) = (limits.poll_min_expiration, limits.poll_max_expiration);
        match e.seconds() {
            Err(why) => fault("/expires_in".into(), why, "e.g. `expires_in: 1d`"),
            Ok(s) if s < min => fault(
                "/expires_in".into(),
                format!("a poll is open at least {min} seconds on this instance; this one {s}"),
                "make it longer, e.g. `expires_in: 1h`",
            ),
            Ok(s) if s > max => fault(
                "/expires_in".into(),
                format!("a poll is open at most {max} seconds on this instance; this one {s}"),
                "make it shorter, e.g. `expires_in: 7d`",
            ),
            Ok(_) => {}
        }
    }
    out
}

/// A focal point, `"x,y"` with each in -1.0..=1.0 (Mastodon's media
/// focus: 0,0 the centre, 1,1 the top right); `Err` says why not.
pub fn focus(text: &str) -> Result<(f64, f64), String> {
    let bad = || {
        format!("`{text}` is not a focal point: write \"x,y\", each from -1.0 to 1.0 (0,0 the centre, 1,1 the top right)")
    };
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    let ok = |v: f64| v.is_finite() && (-1.0..=1.0).contains(&v);
    if ok(x) && ok(y) {
        Ok((x, y))
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(options: &[&str], expires: Expiry) -> PollOptions {
        PollOptions {
            options: options.iter().map(|s| s.to_string()).collect(),
            expires_in: Some(expires),
            ..PollOptions::default()
        }
    }

    fn faults(p: &PollOptions, media: bool) -> Vec<String> {
        check(p, media, &InstanceLimits::default())
            .into_iter()
            .map(|f| format!("{} {}", f.at, f.message))
            .collect()
    }

    #[test]
    fn durations_read_as_seconds() {
        for (text, secs) in [
            ("1d", 86_400),
            ("6h", 21_600),
            ("30m", 1_800),
            ("1d12h", 129_600),
            ("300", 300),
            ("90s", 90),
        ] {
            assert_eq!(Expiry::Text(text.into()).seconds(), Ok(secs), "{text}");
        }
        for bad in ["", "1w", "d", "1.5h", "h1", "10m5"] {
            assert!(Expiry::Text(bad.into()).seconds().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_good_poll_has_no_faults() {
        let p = poll(&["Yes", "No", "Maybe"], Expiry::Text("1d".into()));
        assert_eq!(faults(&p, false), Vec::<String>::new());
    }

    #[test]
    fn each_fault_points_at_its_part() {
        let one = poll(&["Yes"], Expiry::Seconds(3600));
        assert_eq!(
            faults(&one, false),
            ["/options a poll needs at least 2 options; this one has 1"]
        );
        let five = poll(&["a", "b", "c", "d", "e"], Expiry::Seconds(3600));
        assert_eq!(
            faults(&five, false)[0],
            "/options/4 the instance takes at most 4 poll options; this one has 5"
        );
        let long = "x".repeat(51);
        let dup = poll(&["a", &long, "a", " "], Expiry::Seconds(299));
        let f = faults(&dup, true);
        assert_eq!(f.len(), 5, "{f:?}");
        assert!(
            f[0].starts_with(" a Mastodon status has a poll or media"),
            "{f:?}"
        );
        assert!(
            f[1].starts_with("/options/1 poll option 2 has 51 characters"),
            "{f:?}"
        );
        assert!(
            f[2].starts_with("/options/2 poll option 3 repeats"),
            "{f:?}"
        );
        assert!(
            f[3].starts_with("/options/3 poll option 4 is empty"),
            "{f:?}"
        );
        assert!(
            f[4].starts_with("/expires_in a poll is open at least 300"),
            "{f:?}"
        );
        let far = poll(&["a", "b"], Expiry::Text("31d".into()));
        assert!(faults(&far, false)[0].contains("at most 2629746"));
    }

    #[test]
    fn options_count_graphemes_and_limits_come_from_the_instance() {
        // A family emoji is one character, as Mastodon counts.
        let family = "👨‍👩‍👧".repeat(50);
        let p = poll(&[&family, "b"], Expiry::Seconds(600));
        assert!(faults(&p, false).is_empty());
        let limits = InstanceLimits {
            poll_max_options: 8,
            poll_max_characters_per_option: 10,
            ..InstanceLimits::default()
        };
        let many = poll(&["a", "b", "c", "d", "e"], Expiry::Seconds(600));
        assert!(check(&many, false, &limits).is_empty());
        let p = poll(&["a".repeat(11).as_str(), "b"], Expiry::Seconds(600));
        assert_eq!(check(&p, false, &limits).len(), 1);
    }

    #[test]
    fn focus_points_are_checked() {
        assert_eq!(focus("0,0.3"), Ok((0.0, 0.3)));
        assert_eq!(focus(" -1 , 1 "), Ok((-1.0, 1.0)));
        for bad in ["0.3", "1.5,0", "a,b", "0,-1.01", "NaN,0", ""] {
            assert!(focus(bad).is_err(), "{bad}");
        }
    }
}
