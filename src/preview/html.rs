//! The preview's HTML: the page head with its own styles, the calendar,
//! the post cards, and escaping.

use super::{caption_html, grid_crop, Inputs, Shown};
use crate::content::PostType;
use crate::plan::{Action, Entry};
use jiff::civil::Date;
use std::fmt::Write as _;

/// The share of a story's height, top and bottom, the app's interface
/// covers: Meta's guidance for stories is to keep about 14% (250 px of
/// 1920) at each end free of text and logos (as quoted in
/// <https://shotstack.io/learn/vertical-video-safe-zones/>).
pub const STORY_SAFE_PERCENT: u32 = 14;

/// The page head: styles inline, nothing loaded from anywhere.
pub const HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'">
<title>postwright preview</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:0 auto;max-width:935px;padding:12px;color:#262626;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}.at{color:#737373}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:2px}
.tile{position:relative;aspect-ratio:3/4;overflow:hidden;background:#efefef;display:block}
.tile img{width:100%;height:100%;object-fit:cover;display:block}
.tile.upcoming{outline:3px solid #0095f6;outline-offset:-3px}
.mark{position:absolute;top:6px;right:8px;color:#fff;text-shadow:0 0 3px #000}
.ph{display:flex;align-items:center;justify-content:center;height:100%;color:#737373}
.cal{border-collapse:collapse;width:100%;table-layout:fixed}.cal td,.cal th{border:1px solid #dbdbdb;vertical-align:top;padding:4px;height:64px;font-size:12px}
.cal .story{color:#c13584}.day{color:#737373}
.card{border:1px solid #dbdbdb;border-radius:8px;padding:12px;margin:12px 0}
.tag{color:#00376b}.problem{color:#ed4956}.meta{color:#737373;font-size:13px}
.crop{position:relative;overflow:hidden;max-width:320px;margin:8px 0}.crop img{width:100%;height:100%;display:block}
.cut{position:absolute;box-shadow:0 0 0 9999px rgba(0,0,0,.45);outline:1px dashed #fff}
.tile.pr{outline:3px solid #f77737;outline-offset:-3px}
.strip{display:flex;gap:6px;overflow-x:auto;margin:-4px 0 12px}.strip figure{margin:0;flex:0 0 120px}.strip img{width:120px;aspect-ratio:4/5;object-fit:cover;display:block;border-radius:4px}.strip figcaption{font-size:12px;color:#737373;text-align:center}.strip .ph{height:150px}
.legend{color:#737373;font-size:13px}.key{display:inline-block;width:12px;height:12px;vertical-align:middle;background:#efefef}
.key.upcoming{outline:3px solid #0095f6;outline-offset:-3px}.key.pr{outline:3px solid #f77737;outline-offset:-3px}.key.outside,.tile.outside{opacity:.85}
.story9{position:relative;aspect-ratio:9/16;max-width:240px;overflow:hidden;background:#000;margin:8px 0}.story9 img{width:100%;height:100%;object-fit:cover;display:block}
.safe{position:absolute;left:0;right:0;height:14%;background:rgba(0,0,0,.45)}.safe.top{top:0}.safe.bottom{bottom:0}
details.more{display:inline}details.more summary{display:inline;color:#737373;cursor:pointer;list-style:none}details.more[open] summary{display:none}
.caption{margin:12px 0}.frame{position:relative}.vid{position:absolute;right:6px;bottom:6px;z-index:1;color:#fff;background:rgba(0,0,0,.6);border-radius:4px;padding:1px 5px;font-size:12px;line-height:16px;white-space:nowrap}
.cal td{overflow-wrap:anywhere}.cal .lane{border-top:2px solid #c13584;margin-top:4px;padding-top:2px}
.row{display:flex;gap:12px;overflow-x:auto;align-items:flex-start}.row .tcard{flex:1 1 0;min-width:180px;box-sizing:border-box;margin:0;max-width:none}.side h3{font-size:14px;margin:16px 0 8px}.ptitle{font-weight:600;margin:2px 0 6px}
.tcard{border:1px solid #dbdbdb;border-radius:12px;padding:12px;margin:12px 0;max-width:600px}.tcard.over{border-color:#ed4956}
.tcard .text{white-space:normal;overflow-wrap:anywhere}.tcard .text.empty::before{content:"(no text)";color:#737373}
mark{background:none;color:#0085ff}mark.tag{color:#00376b}mark.mention{font-weight:600}
.count{color:#737373;font-size:13px}.count.over{color:#ed4956;font-weight:600}.note{color:#737373;font-size:13px;margin:4px 0}
.cmedia{display:flex;flex-wrap:wrap;gap:8px}.cmedia figure{margin:0;max-width:180px}.cmedia img{max-width:180px;max-height:240px;display:block;border-radius:6px}
.cmedia figcaption{font-size:12px;color:#737373}.noalt{background:#ed4956;color:#fff;border-radius:4px;padding:0 4px}
</style></head><body>
"#;

/// Text for HTML (element content and quoted attributes).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A post id as a file name: letters, digits and `-` kept, the rest `_`.
pub fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// How many months the calendar shows at most.
const MONTHS: usize = 24;

/// A calendar for the month of the plan's time and for every later month
/// that has posts (at most [`MONTHS`]): a post next month is on a
/// calendar too.
pub fn calendar(inputs: &Inputs<'_>) -> String {
    let first = inputs
        .plan
        .at
        .to_zoned_datetime(inputs.tz.clone())
        .date()
        .first_of_month();
    let mut months: std::collections::BTreeSet<Date> = std::collections::BTreeSet::new();
    months.insert(first);
    for e in &inputs.plan.entries {
        if e.action == Action::Draft {
            continue;
        }
        if let Some(t) = e.publish_at {
            let m = day_of(t, inputs.tz).first_of_month();
            if m > first {
                months.insert(m);
            }
        }
    }
    let shown: Vec<Date> = months.iter().copied().take(MONTHS).collect();
    let mut out = String::new();
    for m in &shown {
        out.push_str(&month(inputs, *m));
    }
    if months.len() > MONTHS {
        let _ = write!(
            out,
            "<p class=note>{} more months with posts are not shown.</p>",
            months.len() - MONTHS
        );
    }
    out
}

/// One month, Monday first, each day with what goes out then (in the
/// config's zone): feed posts, then the day's stories in their own lane.
fn month(inputs: &Inputs<'_>, first: Date) -> String {
    let days = first.days_in_month();
    let mut by_day: std::collections::BTreeMap<i8, Vec<&Entry>> = Default::default();
    for e in &inputs.plan.entries {
        let Some(t) = e.publish_at else { continue };
        let d = day_of(t, inputs.tz);
        if d.year() == first.year() && d.month() == first.month() && e.action != Action::Draft {
            // A post to several accounts or platforms is one post that day.
            let day = by_day.entry(d.day()).or_default();
            if !day.iter().any(|seen| seen.id == e.id) {
                day.push(e);
            }
        }
    }
    let mut out = format!(
        "<h2>Calendar: {}</h2><table class=cal data-calendar=\"{}\"><tr>",
        first.strftime("%B %Y"),
        first.strftime("%Y-%m")
    );
    for name in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] {
        let _ = write!(out, "<th>{name}</th>");
    }
    out.push_str("</tr><tr>");
    let lead = first.weekday().to_monday_zero_offset();
    for _ in 0..lead {
        out.push_str("<td></td>");
    }
    for day in 1..=days {
        let date: Date = first.with().day(day).build().unwrap_or(first);
        if date.weekday().to_monday_zero_offset() == 0 && day > 1 {
            out.push_str("</tr><tr>");
        }
        let _ = write!(out, "<td data-day=\"{day}\"><div class=day>{day}</div>");
        let (stories, feed): (Vec<&Entry>, Vec<&Entry>) = by_day
            .get(&day)
            .into_iter()
            .flatten()
            .partition(|e| e.kind == Some(PostType::Story));
        for e in feed {
            let _ = write!(
                out,
                "<div data-post=\"{}\">{}</div>",
                escape(&e.id),
                escape(&e.id)
            );
        }
        // Stories in their own lane under the feed's: they are not on
        // the grid and are gone after a day.
        if !stories.is_empty() {
            out.push_str("<div class=lane data-lane=stories>");
            for e in stories {
                let _ = write!(
                    out,
                    "<div class=story data-post=\"{}\">{}</div>",
                    escape(&e.id),
                    escape(&e.id)
                );
            }
            out.push_str("</div>");
        }
        out.push_str("</td>");
    }
    out.push_str("</tr></table>");
    out
}

/// The calendar day an instant falls on in the config's zone (a post at
/// 00:30 local time on the night clocks change is on that local day).
pub fn day_of(t: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> Date {
    t.to_zoned_datetime(tz.clone()).date()
}

/// One post as a card: type, time, caption, first comment, alt text,
/// collaborators, and its problems.
pub fn card(inputs: &Inputs<'_>, e: &Entry, shown: Option<&Shown>) -> String {
    let mut out = format!(
        "<div class=card id=\"post-{}\"><div class=meta>{} · {} · {}</div>",
        escape(&e.id),
        escape(&e.file),
        e.kind.map_or("?".into(), |k| k.to_string()),
        escape(e.action.name())
    );
    if let Some(t) = e.publish_at {
        let _ = write!(
            out,
            "<div class=meta>{}</div>",
            escape(&crate::time::local(t, inputs.tz))
        );
    }
    // A story at 9:16 with the bands the app's interface covers shaded;
    // a feed picture with what the grid's 3:4 tile cuts off shaded.
    // A video's frame has the app's play mark and length in its corner.
    let corner = super::video::entry_corner(inputs, e);
    if let (Some(s), Some(PostType::Story)) = (shown, e.kind) {
        let _ = write!(
            out,
            "<div class=story9 data-story><img src=\"{}\" alt=\"\"><div class=\"safe top\"></div><div class=\"safe bottom\"></div>{corner}</div><div class=meta>shaded: the top and bottom {}% the app's profile and reply bars cover</div>",
            escape(&s.file),
            STORY_SAFE_PERCENT
        );
    } else if let Some(s) = shown {
        let (l, t, w, h) = grid_crop(s.width, s.height);
        let pct = |f: f64| format!("{:.2}%", f * 100.0);
        let _ = write!(
            out,
            "<div class=crop data-crop style=\"aspect-ratio:{}/{}\"><img src=\"{}\" alt=\"\"><div class=cut style=\"left:{};top:{};width:{};height:{}\"></div>{corner}</div><div class=meta>shaded: what the grid's 3:4 tile leaves out</div>",
            s.width,
            s.height,
            escape(&s.file),
            pct(l),
            pct(t),
            pct(w),
            pct(h)
        );
    }
    if let Some(post) = inputs.posts.get(e.id.as_str()) {
        for path in super::lfs_absent(post) {
            let _ = write!(
                out,
                "<div class=ph data-lfs>{}: {}</div><div class=meta>{}</div>",
                super::LFS_LABEL,
                escape(path),
                escape(crate::lfs::FETCH_HELP)
            );
        }
    }
    if let Some(post) = inputs.posts.get(e.id.as_str()) {
        // A reel's (or a video story's) length, as the app shows it.
        let video = post
            .media
            .iter()
            .find_map(|m| match m.info().map(|i| &i.format) {
                Some(crate::media::Format::Video(v)) => Some(v.duration_ms),
                _ => None,
            });
        if let (Some(ms), Some(PostType::Reel | PostType::Story)) = (video, e.kind) {
            let _ = write!(
                out,
                "<div class=meta data-duration=\"{ms}\">video, {}:{:02}</div>",
                ms / 60_000,
                (ms / 1000) % 60
            );
        }
        let f = &post.post.fields;
        if let Some(c) = &f.caption {
            // A div, not a p: a <details> inside a <p> would close it.
            let _ = write!(out, "<div class=caption>{}</div>", caption_html(c));
        }
        if let Some(c) = &f.first_comment {
            let _ = write!(
                out,
                "<div class=meta>first comment: {}</div>",
                caption_html(c)
            );
        }
        let alts: Vec<&str> = f
            .alt_text
            .as_deref()
            .into_iter()
            .chain(f.media.iter().filter_map(|m| m.alt_text()))
            .collect();
        for alt in alts {
            let _ = write!(out, "<p class=meta>alt text: {}</p>", escape(alt));
        }
        if let Some(c) = f.collaborators.as_ref().filter(|c| !c.is_empty()) {
            let _ = write!(out, "<p class=meta>with {}</p>", escape(&c.join(", ")));
        }
    }
    for p in &e.problems {
        let _ = write!(
            out,
            "<p class=problem>{}:{}: {}[{}]: {}</p>",
            escape(&p.file),
            p.line,
            p.severity,
            p.rule,
            escape(&p.message)
        );
    }
    out.push_str("</div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_days_are_local_days_across_daylight_saving() {
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        let day = |utc: &str| day_of(utc.parse().unwrap(), &berlin).to_string();
        // Clocks go back on 2026-10-25 at 03:00 CEST: 22:30 UTC the day
        // before is already 00:30 local on the 25th.
        assert_eq!(day("2026-10-24T22:30:00Z"), "2026-10-25");
        assert_eq!(day("2026-10-24T21:59:00Z"), "2026-10-24");
        // After the change, an hour less ahead of UTC.
        assert_eq!(day("2026-10-25T23:30:00Z"), "2026-10-26");
        // Clocks go forward on 2026-03-29: 23:30 UTC on the 28th is 00:30 CET.
        assert_eq!(day("2026-03-28T23:30:00Z"), "2026-03-29");
        assert_eq!(day("2026-03-29T22:30:00Z"), "2026-03-30");
    }

    #[test]
    fn escaping_covers_attributes_too() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(file_name("2026/../x y"), "2026____x_y");
    }

    #[test]
    fn a_calendar_for_this_month_and_every_later_month_with_posts() {
        let entry = |id: &str, at: &str, action| crate::plan::Entry {
            publish_at: at.parse().ok(),
            kind: Some(PostType::Image),
            ..crate::plan::Entry::new(id, &format!("posts/{id}.md"), action, String::new())
        };
        let plan = crate::plan::Plan {
            format_version: 1,
            at: "2026-12-05T00:00:00Z".parse().unwrap(),
            summary: Default::default(),
            entries: vec![
                entry("dec", "2026-12-20T09:00:00Z", Action::Scheduled),
                entry("feb", "2027-02-03T09:00:00Z", Action::Scheduled),
                entry("draft", "2027-03-03T09:00:00Z", Action::Draft),
                entry("past", "2026-10-03T09:00:00Z", Action::Published),
                crate::plan::Entry {
                    kind: Some(PostType::Story),
                    ..entry("story", "2027-02-03T07:00:00Z", Action::Scheduled)
                },
            ],
            prune: false,
            pull_request: None,
            state_unknown: None,
            drift: None,
        };
        let state = crate::state::State::default();
        let tz = jiff::tz::TimeZone::UTC;
        let inputs = Inputs {
            repo: std::path::Path::new("."),
            plan: &plan,
            state: &state,
            posts: Default::default(),
            versions: Default::default(),
            tz: &tz,
            live_tiles: 12,
            config: None,
        };
        let html = calendar(&inputs);
        let months: Vec<&str> = html
            .split("data-calendar=\"")
            .skip(1)
            .map(|rest| &rest[..7])
            .collect();
        assert_eq!(months, ["2026-12", "2027-02"]);
        let feb = html.split("data-calendar=\"2027-02\"").nth(1).unwrap();
        // The feed's post first, the day's story in its own lane after it
        // (though it goes out earlier).
        assert!(
            feb.contains("data-day=\"3\"><div class=day>3</div><div data-post=\"feb\">feb</div><div class=lane data-lane=stories><div class=story data-post=\"story\">story</div></div></td>"),
            "{feb}"
        );
        assert_eq!(html.matches("data-lane=stories").count(), 1, "{html}");
    }
}
