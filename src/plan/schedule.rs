//! When apply actually runs: the cron schedule of the apply workflow.
//!
//! A post goes out at the first scheduled run at or after its `publish_at`
//! (or when someone pushes), so with an hourly cron a post written for
//! 18:00 goes out at 18:17. The plan says so where the gap is more than
//! [`TOLERANCE`], with the time the post will actually go out, instead of
//! leaving people to discover it from the feed.
//!
//! The schedule is read from the workflow files that run `postwright apply`
//! (`.github/workflows/*.yml` at the root of the git repository): the
//! `cron:` lines of their `schedule` trigger, in UTC as GitHub reads them.
//! GitHub's cron is POSIX's five fields with `*`, `,`, `-` and `/`; an
//! expression this does not read is left out (no warning rather than a
//! wrong one).

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::path::{Path, PathBuf};

/// A post due this much or less before the run that publishes it gets no
/// warning: the finest schedule GitHub keeps well (every 15 minutes) is
/// within it, and GitHub delays scheduled runs by minutes anyway.
pub const TOLERANCE: SignedDuration = SignedDuration::from_mins(15);

/// One cron expression, as the sets of values each field matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    pub text: String,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// POSIX: when both day fields are restricted, a day matching either runs.
    either_day: bool,
}

/// Bit `v` set for every value of `field` in `min..=max`.
fn field(text: &str, min: u32, max: u32) -> Result<u64, String> {
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().map_err(|_| format!("bad step `{s}`"))?),
            None => (part, 1),
        };
        if step == 0 {
            return Err("a step of 0".into());
        }
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (number(a)?, number(b)?)
        } else {
            let v = number(range)?;
            // `5/15` runs from 5 to the end, as in cronie.
            (v, if part.contains('/') { max } else { v })
        };
        if lo < min || hi > max || lo > hi {
            return Err(format!("`{part}` is outside {min}-{max}"));
        }
        for v in (lo..=hi).step_by(step as usize) {
            bits |= 1 << v;
        }
    }
    Ok(bits)
}

fn number(text: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(format!("`{text}` has {} fields, not 5", fields.len()));
        };
        let weekdays = field(weekday, 0, 7)?;
        Ok(Cron {
            text: text.to_string(),
            minutes: field(minute, 0, 59)?,
            hours: field(hour, 0, 23)? as u32,
            days: field(day, 1, 31)? as u32,
            months: field(month, 1, 12)? as u16,
            // 7 is Sunday too.
            weekdays: ((weekdays | (weekdays >> 7)) & 0x7f) as u8,
            either_day: !day.starts_with('*') && !weekday.starts_with('*'),
        })
    }

    fn runs_on(&self, date: Date) -> bool {
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let day = self.days & (1 << date.day()) != 0;
        let weekday = self.weekdays & (1 << date.weekday().to_sunday_zero_offset()) != 0;
        if self.either_day {
            day || weekday
        } else {
            day && weekday
        }
    }

    /// The first run at or after `at` (within a year and a day).
    pub fn next(&self, at: Timestamp) -> Option<Timestamp> {
        let utc = at.to_zoned_datetime(TimeZone::UTC).datetime();
        // Whole minutes: a run at 18:17 starts at 18:17:00.
        let mut start = utc.with().second(0).subsec_nanosecond(0).build().ok()?;
        if start < utc {
            start = start.checked_add(1.minute()).ok()?;
        }
        let mut date = start.date();
        for _ in 0..=366 {
            if self.runs_on(date) {
                let from = if date == start.date() {
                    (start.hour(), start.minute())
                } else {
                    (0, 0)
                };
                if let Some(t) = self.first_time(date, from) {
                    return t
                        .to_zoned_datetime(TimeZone::UTC)
                        .ok()
                        .map(|z| z.timestamp());
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// The first run on `date` at or after `from` (hour, minute).
    fn first_time(&self, date: Date, from: (i8, i8)) -> Option<DateTime> {
        for hour in from.0..24 {
            if self.hours & (1 << hour) == 0 {
                continue;
            }
            let first = if hour == from.0 { from.1 } else { 0 };
            if let Some(minute) = (first..60).find(|m| self.minutes & (1 << m) != 0) {
                return Some(date.at(hour, minute, 0, 0));
            }
        }
        None
    }
}

/// When the apply workflow runs: its cron schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyRuns {
    /// The workflow file, relative to the git repository's root.
    pub file: String,
    pub crons: Vec<Cron>,
}

impl ApplyRuns {
    /// The schedule of the first workflow under the git repository holding
    /// `repo` that runs `postwright apply` on a cron; `None` without one.
    pub fn discover(repo: &Path) -> Option<ApplyRuns> {
        let root = git2::Repository::discover(repo)
            .ok()?
            .workdir()
            .map(Path::to_path_buf)?;
        let dir = root.join(".github/workflows");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
        files.sort();
        files.into_iter().find_map(|path| {
            // Workflows are small; one that is not is not ours.
            if std::fs::metadata(&path).ok()?.len() > 1 << 20 {
                return None;
            }
            let text = std::fs::read_to_string(&path).ok()?;
            let crons = apply_crons(&text);
            let name = path.file_name()?.to_string_lossy();
            (!crons.is_empty()).then(|| ApplyRuns {
                file: format!(".github/workflows/{name}"),
                crons,
            })
        })
    }

    /// When a post due at `publish_at` goes out: the first run of any cron.
    pub fn next_run(&self, publish_at: Timestamp) -> Option<Timestamp> {
        self.crons.iter().filter_map(|c| c.next(publish_at)).min()
    }

    /// The crons, for messages: `"17 * * * *"`.
    pub fn describe(&self) -> String {
        self.crons
            .iter()
            .map(|c| format!("\"{}\"", c.text))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The cron expressions of a workflow that runs `postwright apply` (the
/// action with `command: apply`, or the binary); none for other workflows.
fn apply_crons(text: &str) -> Vec<Cron> {
    let runs_apply = text.lines().any(|l| {
        let l = l.trim();
        l.starts_with("command: apply") || l.contains("postwright apply")
    });
    if !runs_apply {
        return Vec::new();
    }
    text.lines()
        .filter_map(|l| {
            let l = l.trim().trim_start_matches("- ").trim();
            let value = l.strip_prefix("cron:")?;
            let value = value.split(" #").next()?.trim();
            let value = value.trim_matches(|c| c == '"' || c == '\'');
            Cron::parse(value).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn next(cron: &str, from: &str) -> String {
        Cron::parse(cron)
            .unwrap()
            .next(at(from))
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_next_run_of_common_schedules() {
        assert_eq!(
            next("17 * * * *", "2026-12-07T18:00:00Z"),
            "2026-12-07T18:17:00Z"
        );
        assert_eq!(
            next("17 * * * *", "2026-12-07T18:17:00Z"),
            "2026-12-07T18:17:00Z"
        );
        assert_eq!(
            next("17 * * * *", "2026-12-07T18:17:01Z"),
            "2026-12-07T19:17:00Z"
        );
        assert_eq!(
            next("*/15 * * * *", "2026-12-07T18:01:00Z"),
            "2026-12-07T18:15:00Z"
        );
        assert_eq!(
            next("*/15 * * * *", "2026-12-31T23:59:30Z"),
            "2027-01-01T00:00:00Z"
        );
        assert_eq!(
            next("0 9 * * 1-5", "2026-12-05T10:00:00Z"),
            "2026-12-07T09:00:00Z"
        );
        assert_eq!(
            next("5/20 8,20 * * *", "2026-12-07T08:50:00Z"),
            "2026-12-07T20:05:00Z"
        );
        // Day of month or day of week, when both are restricted (POSIX).
        assert_eq!(
            next("0 0 13 * 5", "2026-12-07T00:00:00Z"),
            "2026-12-11T00:00:00Z"
        );
        // 7 is Sunday.
        assert_eq!(
            next("0 12 * * 7", "2026-12-07T00:00:00Z"),
            "2026-12-13T12:00:00Z"
        );
        assert_eq!(
            next("0 0 29 2 *", "2027-03-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
    }

    #[test]
    fn expressions_it_cannot_read_are_refused() {
        for bad in [
            "* * * *",
            "60 * * * *",
            "*/0 * * * *",
            "MON * * * *",
            "5-1 * * * *",
            "",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
        // A day that never comes.
        assert_eq!(
            Cron::parse("0 0 31 2 *")
                .unwrap()
                .next(at("2026-01-01T00:00:00Z")),
            None
        );
    }

    #[test]
    fn only_workflows_that_run_apply_give_a_schedule() {
        let apply = "on:\n  schedule:\n    - cron: \"17 * * * *\" # hourly\n    - cron: '45 8 * * 1'\njobs:\n  a:\n    steps:\n      - uses: postwright/postwright@v0.1.0\n        with:\n          command: apply\n";
        let crons: Vec<String> = apply_crons(apply).into_iter().map(|c| c.text).collect();
        assert_eq!(crons, ["17 * * * *", "45 8 * * 1"]);
        let refresh = apply.replace("command: apply", "command: install");
        assert!(apply_crons(&refresh).is_empty());
    }

    #[test]
    fn a_repository_without_workflows_has_no_schedule() {
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        assert_eq!(ApplyRuns::discover(dir.path()), None);
        let workflows = dir.path().join(".github/workflows");
        std::fs::create_dir_all(&workflows).unwrap();
        std::fs::write(
            workflows.join("postwright-apply.yml"),
            "on:\n  schedule:\n    - cron: \"17 * * * *\"\n# postwright apply\n",
        )
        .unwrap();
        let content = dir.path().join("feed");
        std::fs::create_dir_all(&content).unwrap();
        let s = ApplyRuns::discover(&content).unwrap();
        assert_eq!(s.file, ".github/workflows/postwright-apply.yml");
        assert_eq!(
            s.next_run(at("2026-12-07T18:00:00Z")),
            Some(at("2026-12-07T18:17:00Z"))
        );
    }
}
