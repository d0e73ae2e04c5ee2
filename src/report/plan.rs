//! The plan for people (a Terraform-like listing), for machines (JSON), for
//! pull requests (Markdown) and for GitHub Actions (annotations).

use super::{github, md_cell, style};
use crate::diagnostic::Problem;
use crate::plan::{Action, Entry, Plan};
use crate::time::local;
use jiff::tz::TimeZone;
use std::fmt::Write as _;

/// GitHub refuses comments over 65,536 characters; stay clear of it.
pub const MARKDOWN_LIMIT: usize = 65_000;

/// The colour of an action on a terminal: what apply adds green, changes
/// yellow, removes or refuses red; the rest plain.
fn action_style(action: Action) -> anstyle::Style {
    match action {
        Action::Resume | Action::Publish => style::ADD,
        Action::Update
        | Action::Moved
        | Action::Changed
        | Action::Duplicate
        | Action::Overdue
        | Action::Native => style::CHANGE,
        Action::Removed | Action::Invalid => style::REMOVE,
        Action::Scheduled | Action::OnPlatform | Action::Draft | Action::Published => {
            anstyle::Style::new()
        }
    }
}

fn symbol(action: Action) -> &'static str {
    match action {
        Action::Resume => "↻",
        Action::Publish => "+",
        Action::Update => "~",
        Action::Moved => "→",
        Action::Removed => "-",
        Action::Changed => "!",
        Action::Duplicate => "⧉",
        Action::Overdue => "⌛",
        Action::Invalid => "✗",
        Action::Native => "⇢",
        Action::OnPlatform => "⏰",
        Action::Scheduled => "⏲",
        Action::Draft => "·",
        Action::Published => "=",
    }
}

/// When a post goes out, in the config's zone; a post written with a zone
/// of its own shows its own clock first: `2026-12-05 18:00 -05:00 (2026-12-06
/// 00:00 CET)`.
fn when(e: &Entry, t: jiff::Timestamp, tz: &TimeZone) -> String {
    let config = local(t, tz);
    match &e.publish_at_own {
        // The same wall clock (an offset equal to the config's): once.
        Some(own) if own.get(..16) != config.get(..16) => format!("{own} ({config})"),
        _ => config,
    }
}

/// `carousel, 3 items` / `reel` / `image`; with `target`, the account it
/// goes to: `text → brand-threads`.
fn shape(e: &Entry, target: bool) -> String {
    let kind = match (e.kind, e.media.len()) {
        (Some(k), n) if n > 1 => format!("{k}, {n} items"),
        (Some(k), _) => k.to_string(),
        (None, _) => "?".to_string(),
    };
    match (&e.account, target) {
        (Some(a), true) => format!("{kind} → {a}"),
        _ => kind,
    }
}

/// Whether the plan's posts go to more than one account: then each line
/// names its account (a post to several accounts has a line for each).
fn several_accounts(entries: &[Entry]) -> bool {
    let mut accounts = entries.iter().filter_map(|e| e.account.as_deref());
    let first = accounts.next();
    accounts.any(|a| Some(a) != first)
}

/// The closing line: `Plan: 2 to publish, 1 to update, 5 scheduled.`,
/// `Nothing to apply; 1 invalid, 1 changed.` when only problems are left,
/// or `No changes. …`. Invalid posts come first: they block a merge.
pub fn summary_line(plan: &Plan) -> String {
    let mut parts = Vec::new();
    let order = std::iter::once(Action::Invalid)
        .chain(Action::ALL.into_iter().filter(|a| *a != Action::Invalid));
    for action in order {
        let n = plan.count(action);
        if n == 0 {
            continue;
        }
        parts.push(match action {
            Action::Publish => format!("{n} to publish"),
            Action::Resume => format!("{n} to resume"),
            Action::Update => format!("{n} to update"),
            Action::Removed if plan.prune => format!("{n} to delete"),
            other => format!("{n} {other}"),
        });
    }
    let list = if parts.is_empty() {
        "no posts".to_string()
    } else {
        parts.join(", ")
    };
    let attention = [
        Action::Invalid,
        Action::Changed,
        Action::Duplicate,
        Action::Overdue,
    ]
    .into_iter()
    .any(|a| plan.count(a) > 0);
    if plan.needs_apply() {
        format!("Plan: {list}.")
    } else if attention {
        format!("Nothing to apply; {list}.")
    } else {
        format!("No changes. {list}.")
    }
}

/// The human listing, grouped by action in apply's order.
pub fn human(plan: &Plan, tz: &TimeZone) -> String {
    let mut out = format!("postwright plan at {}\n", local(plan.at, tz));
    if let Some(doubt) = &plan.state_unknown {
        out.push_str(&super::doubt_human(doubt));
    }
    // Measured and written in runs of entries on every core (10,000
    // entries: 14 ms on one), each run knowing the action of the entry
    // before it.
    let entries = &plan.entries;
    let runs = || (0..entries.len()).step_by(RUN).collect::<Vec<usize>>();
    let run = |start: usize| &entries[start..(start + RUN).min(entries.len())];
    let target = several_accounts(entries);
    let widths = crate::par::map(
        runs(),
        || (),
        |(), start| {
            run(start).iter().fold((0, 0), |(file, kind), e| {
                let shape = shape(e, target).chars().count();
                (file.max(e.file.chars().count()), kind.max(shape))
            })
        },
    );
    let layout = Layout {
        width: widths.iter().map(|w| w.0).max().unwrap_or(0),
        shape_width: widths.iter().map(|w| w.1).max().unwrap_or(0),
        target,
        tz,
    };
    let text = crate::par::map(
        runs(),
        || (),
        |(), start| {
            let before = start.checked_sub(1).map(|k| entries[k].action);
            layout.entries(run(start), before)
        },
    );
    out.extend(text);
    if let Some(drift) = &plan.drift {
        out.push_str(&drift_human(drift));
    }
    out.push('\n');
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

/// Entries a run of the human listing writes.
const RUN: usize = 64;

/// The human listing's columns.
struct Layout<'a> {
    width: usize,
    shape_width: usize,
    target: bool,
    tz: &'a TimeZone,
}

impl Layout<'_> {
    /// The lines of `entries`, a blank line before each new action's group
    /// (`before`: the action of the entry before them).
    fn entries(&self, entries: &[Entry], mut current: Option<Action>) -> String {
        let (width, shape_width, tz) = (self.width, self.shape_width, self.tz);
        let mut out = String::new();
        for e in entries {
            if current != Some(e.action) {
                current = Some(e.action);
                out.push('\n');
            }
            let when = e
                .publish_at
                .map(|t| format!("  {}", when(e, t, tz)))
                .unwrap_or_default();
            let head = format!("{} {:<9}", symbol(e.action), e.action.name());
            let line = format!(
                "{} {:<width$}  {:<shape_width$}{when}",
                style::paint(action_style(e.action), &head),
                e.file,
                shape(e, self.target)
            );
            let _ = writeln!(out, "{}", line.trim_end());
            let _ = writeln!(out, "      {}", e.reason);
            for c in &e.changes {
                let _ = writeln!(out, "      ~ {}: {}", c.field, c.diff);
            }
            match &e.pr {
                Some(crate::plan::base::Touch::Renamed { from }) => {
                    let _ = writeln!(out, "      this pull request renamed it from {from}");
                }
                Some(t) => {
                    let _ = writeln!(out, "      this pull request {} it", t.word());
                }
                None => {}
            }
            if let Some(p) = &e.permalink {
                let _ = writeln!(out, "      {p}");
            }
            for p in e.problems.iter().filter(|p| p.is_error()) {
                let level = style::paint(style::ERROR, &format!("error[{}]", p.rule));
                let _ = writeln!(
                    out,
                    "      {}:{}:{}: {level}: {}",
                    p.file, p.line, p.column, p.message
                );
            }
            // A valid post's entry carries only the warnings about work
            // ahead (a Git LFS object apply must fetch, a run later than
            // publish_at).
            for p in e
                .problems
                .iter()
                .filter(|p| !p.is_error() && e.action != Action::Invalid)
            {
                let level = style::paint(style::WARNING, &format!("warning[{}]", p.rule));
                let _ = writeln!(
                    out,
                    "      {}:{}:{}: {level}: {}",
                    p.file, p.line, p.column, p.message
                );
                if let Some(help) = &p.help {
                    let _ = writeln!(out, "      help: {help}");
                }
            }
        }
        out
    }
}

/// `--refresh`'s findings, for people.
fn drift_human(drift: &[crate::plan::drift::Drift]) -> String {
    let mut out = String::new();
    if drift.is_empty() {
        out.push_str("\nLive accounts match the record (no drift).\n");
        return out;
    }
    let _ = writeln!(
        out,
        "\nDrift: {} (reported; apply publishes none of it again):",
        super::plural(
            drift.len(),
            "difference between the live accounts and the record",
            "differences between the live accounts and the record"
        )
    );
    for d in drift {
        let _ = writeln!(
            out,
            "  {} {}",
            style::paint(style::WARNING, "≠"),
            d.describe()
        );
    }
    out
}

/// `--refresh`'s findings, as a pull-request comment's section.
fn drift_markdown(drift: &[crate::plan::drift::Drift]) -> String {
    if drift.is_empty() {
        return "\n**Drift:** the live accounts match the record.\n".into();
    }
    let mut out = format!(
        "\n**Drift** ({}; reported, never published again):\n\n",
        drift.len()
    );
    for d in drift.iter().take(50) {
        let _ = writeln!(out, "- {}", md_cell(&d.describe()));
    }
    if drift.len() > 50 {
        let _ = writeln!(out, "- … and {} more", drift.len() - 50);
    }
    out
}

/// The JSON plan (documented in the README; stable within format_version 1).
pub fn json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).expect("plan serialises");
    s.push('\n');
    s
}

/// The pull request's posts as a small grid of tiles, when their pictures
/// have public URLs (`[media] base_url`): three a row, as on the profile.
fn tiles(entries: &[&Entry]) -> String {
    let urls: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.media.iter().find(|m| is_image_url(m)))
        .map(String::as_str)
        .take(9)
        .collect();
    if urls.is_empty() {
        return String::new();
    }
    let mut out = String::from("<table><tr>");
    for (i, url) in urls.iter().enumerate() {
        if i > 0 && i % 3 == 0 {
            out.push_str("</tr><tr>");
        }
        let _ = write!(
            out,
            "<td><img src=\"{}\" width=\"120\"></td>",
            url.replace('"', "%22")
        );
    }
    out.push_str("</tr></table>\n\n");
    out
}

fn is_image_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or("");
    lower.starts_with("https://") && (path.ends_with(".jpg") || path.ends_with(".jpeg"))
}

/// One table row. `inline_problems`: the post's errors in its row (the
/// pull request's own posts), else they are listed under the table.
fn markdown_row(e: &Entry, tz: &TimeZone, inline_problems: bool, target: bool) -> String {
    let thumb = e
        .media
        .iter()
        .find(|m| is_image_url(m))
        .map(|u| format!("<img src=\"{}\" width=\"56\"> ", u.replace('"', "%22")))
        .unwrap_or_default();
    let when = e
        .publish_at
        .map(|t| when(e, t, tz))
        .unwrap_or_else(|| "—".into());
    let caption = e
        .caption_preview
        .as_deref()
        .map(|c| {
            let short: String = c.chars().take(80).collect();
            if c.chars().count() > 80 {
                format!("{short}…")
            } else {
                short
            }
        })
        .unwrap_or_default();
    let link = match &e.permalink {
        Some(p) => format!(" [↗]({p})"),
        None => String::new(),
    };
    let mut why = md_cell(&e.reason);
    for c in e.changes.iter().take(8) {
        let _ = write!(why, "<br>~ **{}**: {}", md_cell(&c.field), md_cell(&c.diff));
    }
    if inline_problems {
        let shown = |p: &&Problem| p.is_error() || e.action != Action::Invalid;
        for p in e.problems.iter().filter(shown).take(5) {
            let mark = if p.is_error() { "✗" } else { "⚠" };
            let _ = write!(
                why,
                "<br>{mark} `{}:{}` **{}**: {}",
                md_cell(&p.file),
                p.line,
                p.rule,
                md_cell(&p.message)
            );
        }
    }
    let change = match &e.pr {
        Some(t) => format!("{} · ", t.word()),
        None => String::new(),
    };
    format!(
        "| {} {change}{} | {thumb}`{}`{link} | {} | {} | {} | {why} |\n",
        symbol(e.action),
        e.action.name(),
        md_cell(&e.file),
        md_cell(&shape(e, target)),
        md_cell(&when),
        md_cell(&caption),
    )
}

const TABLE_HEAD: &str =
    "| action | post | type | publish at | caption | why |\n|---|---|---|---|---|---|\n";

/// Rows for `entries` while they fit under the limit; the rest counted.
fn table(out: &mut String, entries: &[&Entry], tz: &TimeZone, inline_problems: bool, target: bool) {
    out.push_str(TABLE_HEAD);
    let footer_room = 300;
    let mut left_out: Vec<Action> = Vec::new();
    for e in entries {
        let row = markdown_row(e, tz, inline_problems, target);
        if left_out.is_empty() && out.len() + row.len() + footer_room < MARKDOWN_LIMIT {
            out.push_str(&row);
        } else {
            left_out.push(e.action);
        }
    }
    if !left_out.is_empty() {
        let _ = write!(
            out,
            "\n… and {} not shown ({}). The full plan: `postwright plan --format json`.\n",
            super::plural(left_out.len(), "more post", "more posts"),
            counts(&left_out)
        );
    }
}

/// `2 published, 1 scheduled`.
fn counts(actions: &[Action]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for action in Action::ALL {
        let n = actions.iter().filter(|a| **a == action).count();
        if n > 0 {
            parts.push(format!("{n} {}", action.name()));
        }
    }
    parts.join(", ")
}

/// A table for a pull-request comment or the job summary, under
/// [`MARKDOWN_LIMIT`] characters however many posts: rows past the limit are
/// counted, not shown.
/// The comment's headline: with `--base`, what the pull request changes
/// first, and never "No changes" beside its changes.
fn headline(plan: &Plan) -> String {
    let summary = summary_line(plan);
    let Some(pr) = &plan.pull_request else {
        return summary;
    };
    let mut words: Vec<&str> = plan
        .entries
        .iter()
        .filter_map(|e| e.pr.as_ref().map(|t| t.word()))
        .collect();
    words.extend(pr.deleted.iter().map(|_| "removed"));
    if words.is_empty() {
        return format!("This pull request changes no post. {summary}");
    }
    let mut parts = Vec::new();
    for word in ["added", "edited", "renamed", "removed"] {
        let n = words.iter().filter(|w| **w == word).count();
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let summary = summary.replacen("No changes.", "Nothing for apply now:", 1);
    format!("This pull request: {}. {summary}", parts.join(", "))
}

pub fn markdown(plan: &Plan, tz: &TimeZone) -> String {
    let target = several_accounts(&plan.entries);
    // An unread record is said first: every count after it may be off.
    let doubt = match plan.state_unknown {
        Some(_) => "⚠️ State record not read. ",
        None => "",
    };
    let mut out = format!(
        "### postwright plan\n\n**{doubt}{}** (at {})\n\n",
        headline(plan),
        local(plan.at, tz)
    );
    if let Some(doubt) = &plan.state_unknown {
        out.push_str(&super::doubt_markdown(doubt));
    }
    let all: Vec<&Entry> = plan.entries.iter().collect();
    let Some(pr) = &plan.pull_request else {
        if !all.is_empty() {
            table(&mut out, &all, tz, false, target);
        }
        if let Some(drift) = &plan.drift {
            out.push_str(&drift_markdown(drift));
        }
        return with_problems(out, &all);
    };
    // The pull request's own posts first, problems in their rows; then
    // the rest of the calendar, folded.
    let (mine, rest): (Vec<&Entry>, Vec<&Entry>) = all.iter().partition(|e| e.pr.is_some());
    let _ = writeln!(
        out,
        "#### This pull request (against `{}`)\n",
        md_cell(&pr.base)
    );
    if mine.is_empty() && pr.deleted.is_empty() {
        out.push_str("No post changes.\n");
    } else if !mine.is_empty() {
        out.push_str(&tiles(&mine));
        table(&mut out, &mine, tz, true, target);
    }
    for file in &pr.deleted {
        let _ = writeln!(
            out,
            "- removed `{}`: never published, nothing to do",
            md_cell(file)
        );
    }
    if !rest.is_empty() && out.len() < MARKDOWN_LIMIT - 2_000 {
        let actions: Vec<Action> = rest.iter().map(|e| e.action).collect();
        let _ = write!(
            out,
            "\n<details><summary>The other {}: {}</summary>\n\n",
            super::plural(rest.len(), "post", "posts"),
            counts(&actions)
        );
        table(&mut out, &rest, tz, false, target);
        out.push_str("\n</details>\n");
    }
    if let Some(drift) = &plan.drift {
        out.push_str(&drift_markdown(drift));
    }
    with_problems(out, &rest)
}

/// The problems of `entries` (those not shown in their rows), folded.
fn with_problems(mut out: String, entries: &[&Entry]) -> String {
    let problems: Vec<&Problem> = entries.iter().flat_map(|e| &e.problems).collect();
    if !problems.is_empty() && out.len() < MARKDOWN_LIMIT - 2_000 {
        out.push_str("\n<details><summary>Problems</summary>\n\n");
        for p in problems {
            let line = format!(
                "- `{}:{}:{}` **{}**: {}\n",
                p.file,
                p.line,
                p.column,
                p.rule,
                md_cell(&p.message)
            );
            if out.len() + line.len() + 30 > MARKDOWN_LIMIT {
                out.push_str("- …\n");
                break;
            }
            out.push_str(&line);
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// Annotations for problems (errors), edited published posts and duplicates
/// (warnings), then the human listing for the log.
pub fn github_output(plan: &Plan, tz: &TimeZone, prefix: &str) -> String {
    let problems: Vec<&Problem> = plan.entries.iter().flat_map(|e| &e.problems).collect();
    let mut out = github::annotations(&problems, prefix);
    if let Some(doubt) = &plan.state_unknown {
        let _ = writeln!(
            out,
            "::warning title=state record not read::{}",
            github::escape_data(&format!("{}. {}", doubt.message, doubt.help))
        );
    }
    for e in plan.entries.iter().filter(|e| {
        matches!(
            e.action,
            Action::Changed | Action::Duplicate | Action::Overdue
        )
    }) {
        let file = if prefix.is_empty() {
            e.file.clone()
        } else {
            format!("{}/{}", prefix.trim_end_matches('/'), e.file)
        };
        let _ = writeln!(
            out,
            "::warning file={},line=1,title={}::{}",
            github::escape_property(&file),
            e.action.name(),
            github::escape_data(&e.reason)
        );
    }
    for d in plan.drift.iter().flatten() {
        let _ = writeln!(
            out,
            "::warning title=drift::{}",
            github::escape_data(&d.describe())
        );
    }
    // The log is not a terminal: no colour.
    out.push_str(&style::strip(&human(plan, tz)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, media: &[&str]) -> Entry {
        Entry {
            media: media.iter().map(|m| m.to_string()).collect(),
            ..Entry::new(
                id,
                &format!("posts/{id}.md"),
                Action::Publish,
                String::new(),
            )
        }
    }

    #[test]
    fn a_pull_requests_public_pictures_are_a_small_grid() {
        let a = entry(
            "a",
            &["https://raw.githubusercontent.com/o/r/s/media/a.jpg"],
        );
        let b = entry("b", &["media/b.jpg"]);
        let c = entry(
            "c",
            &["https://example.com/c.mp4", "https://example.com/c.JPG?x=1"],
        );
        let html = tiles(&[&a, &b, &c]);
        assert_eq!(html.matches("<img ").count(), 2, "{html}");
        assert!(html.contains("media/a.jpg\" width=\"120\""), "{html}");
        assert!(html.contains("c.JPG?x=1"), "{html}");
        assert_eq!(tiles(&[&b]), "", "no public picture, no grid");
        let many: Vec<Entry> = (0..12)
            .map(|i| entry(&i.to_string(), &["https://x.io/p.jpg"]))
            .collect();
        let refs: Vec<&Entry> = many.iter().collect();
        let html = tiles(&refs);
        assert_eq!(html.matches("<img ").count(), 9, "at most three rows");
        assert_eq!(html.matches("</tr><tr>").count(), 2);
    }
}
