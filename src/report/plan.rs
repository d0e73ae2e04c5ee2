//! The plan for people (a Terraform-like listing), for machines (JSON), for
//! pull requests (Markdown) and for GitHub Actions (annotations).

use super::{github, md_cell, style};
use crate::diagnostic::Problem;
use crate::plan::{local, Action, Entry, Plan};
use jiff::tz::TimeZone;
use std::fmt::Write as _;

/// GitHub refuses comments over 65,536 characters; stay clear of it.
pub const MARKDOWN_LIMIT: usize = 65_000;

/// The colour of an action on a terminal: what apply adds green, changes
/// yellow, removes or refuses red; the rest plain.
fn action_style(action: Action) -> anstyle::Style {
    match action {
        Action::Resume | Action::Publish => style::ADD,
        Action::Update | Action::Moved | Action::Changed | Action::Duplicate => style::CHANGE,
        Action::Removed | Action::Invalid => style::REMOVE,
        Action::Scheduled | Action::Draft | Action::Published => anstyle::Style::new(),
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
        Action::Invalid => "✗",
        Action::Scheduled => "⏲",
        Action::Draft => "·",
        Action::Published => "=",
    }
}

/// `carousel, 3 items` / `reel` / `image`.
fn shape(e: &Entry) -> String {
    match (e.kind, e.media.len()) {
        (Some(k), n) if n > 1 => format!("{k}, {n} items"),
        (Some(k), _) => k.to_string(),
        (None, _) => "?".to_string(),
    }
}

/// The closing line: `Plan: 2 to publish, 1 to update, 5 scheduled.` or `No changes. …`.
pub fn summary_line(plan: &Plan) -> String {
    let mut parts = Vec::new();
    for action in Action::ALL {
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
    if plan.needs_apply() {
        format!("Plan: {list}.")
    } else {
        format!("No changes. {list}.")
    }
}

/// The human listing, grouped by action in apply's order.
pub fn human(plan: &Plan, tz: &TimeZone) -> String {
    let mut out = format!("postwright plan at {}\n", local(plan.at, tz));
    let width = plan
        .entries
        .iter()
        .map(|e| e.file.chars().count())
        .max()
        .unwrap_or(0);
    let shape_width = plan
        .entries
        .iter()
        .map(|e| shape(e).len())
        .max()
        .unwrap_or(0);
    let mut current = None;
    for e in &plan.entries {
        if current != Some(e.action) {
            current = Some(e.action);
            out.push('\n');
        }
        let when = e
            .publish_at
            .map(|t| format!("  {}", local(t, tz)))
            .unwrap_or_default();
        let head = format!("{} {:<9}", symbol(e.action), e.action.name());
        let line = format!(
            "{} {:<width$}  {:<shape_width$}{when}",
            style::paint(action_style(e.action), &head),
            e.file,
            shape(e)
        );
        let _ = writeln!(out, "{}", line.trim_end());
        let _ = writeln!(out, "      {}", e.reason);
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
    }
    out.push('\n');
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

/// The JSON plan (documented in the README; stable within format_version 1).
pub fn json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).expect("plan serialises");
    s.push('\n');
    s
}

fn is_image_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or("");
    lower.starts_with("https://") && (path.ends_with(".jpg") || path.ends_with(".jpeg"))
}

fn markdown_row(e: &Entry, tz: &TimeZone) -> String {
    let thumb = e
        .media
        .iter()
        .find(|m| is_image_url(m))
        .map(|u| format!("<img src=\"{}\" width=\"56\"> ", u.replace('"', "%22")))
        .unwrap_or_default();
    let when = e
        .publish_at
        .map(|t| local(t, tz))
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
    format!(
        "| {} {} | {thumb}`{}`{link} | {} | {} | {} | {} |\n",
        symbol(e.action),
        e.action.name(),
        md_cell(&e.file),
        shape(e),
        md_cell(&when),
        md_cell(&caption),
        md_cell(&e.reason)
    )
}

/// A table for a pull-request comment or the job summary, under
/// [`MARKDOWN_LIMIT`] characters however many posts: rows past the limit are
/// counted, not shown.
pub fn markdown(plan: &Plan, tz: &TimeZone) -> String {
    let mut out = format!(
        "### postwright plan\n\n**{}** (at {})\n\n",
        summary_line(plan),
        local(plan.at, tz)
    );
    if plan.entries.is_empty() {
        return out;
    }
    out.push_str(
        "| action | post | type | publish at | caption | why |\n|---|---|---|---|---|---|\n",
    );
    let footer_room = 300;
    let mut left_out: Vec<Action> = Vec::new();
    for e in &plan.entries {
        let row = markdown_row(e, tz);
        if left_out.is_empty() && out.len() + row.len() + footer_room < MARKDOWN_LIMIT {
            out.push_str(&row);
        } else {
            left_out.push(e.action);
        }
    }
    if !left_out.is_empty() {
        let mut counts: Vec<String> = Vec::new();
        for action in Action::ALL {
            let n = left_out.iter().filter(|a| **a == action).count();
            if n > 0 {
                counts.push(format!("{n} {}", action.name()));
            }
        }
        let _ = write!(
            out,
            "\n… and {} more posts not shown ({}). The full plan: `postwright plan --format json`.\n",
            left_out.len(),
            counts.join(", ")
        );
    }
    let problems: Vec<&Problem> = plan.entries.iter().flat_map(|e| &e.problems).collect();
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
    for e in plan
        .entries
        .iter()
        .filter(|e| matches!(e.action, Action::Changed | Action::Duplicate))
    {
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
    // The log is not a terminal: no colour.
    out.push_str(&style::strip(&human(plan, tz)));
    out
}
