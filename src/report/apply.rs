//! The result of `apply`: a table for people, JSON, GitHub annotations.

use super::{github, md_cell, style};
use crate::apply::{Report, Verdict};
use std::fmt::Write as _;

fn symbol(v: Verdict) -> &'static str {
    match v {
        Verdict::Published => "✓",
        Verdict::Updated => "~",
        Verdict::Moved => "→",
        Verdict::Deleted => "-",
        Verdict::Adopted => "≡",
        Verdict::Deferred => "⏸",
        Verdict::Held => "⚠",
        Verdict::Failed => "✗",
        Verdict::Scheduled => "⏰",
        Verdict::Cancelled => "-",
    }
}

/// The colour of a result on a terminal.
fn verdict_style(v: Verdict) -> anstyle::Style {
    match v {
        Verdict::Published => style::ADD,
        Verdict::Updated
        | Verdict::Moved
        | Verdict::Adopted
        | Verdict::Deferred
        | Verdict::Scheduled
        | Verdict::Cancelled => style::CHANGE,
        Verdict::Held => style::WARNING,
        Verdict::Deleted | Verdict::Failed => style::REMOVE,
    }
}

fn name(v: Verdict) -> &'static str {
    match v {
        Verdict::Published => "published",
        Verdict::Updated => "updated",
        Verdict::Moved => "moved",
        Verdict::Deleted => "deleted",
        Verdict::Adopted => "adopted",
        Verdict::Deferred => "deferred",
        Verdict::Held => "held",
        Verdict::Failed => "failed",
        Verdict::Scheduled => "scheduled",
        Verdict::Cancelled => "cancelled",
    }
}

/// `Apply: 2 published, 1 adopted, 1 deferred (quota), 1 held (duplicate), 1 failed.`
pub fn summary_line(report: &Report) -> String {
    let mut parts = Vec::new();
    for v in Verdict::ALL {
        let of: Vec<_> = report.outcomes.iter().filter(|o| o.result == v).collect();
        if of.is_empty() {
            continue;
        }
        // Why, counted, for what was not published: "2 held (1 duplicate, 1 overdue)".
        let mut whys: Vec<(&str, usize)> = Vec::new();
        for w in of.iter().filter_map(|o| o.why) {
            match whys.iter_mut().find(|(n, _)| *n == w.name()) {
                Some((_, c)) => *c += 1,
                None => whys.push((w.name(), 1)),
            }
        }
        let detail = match whys.as_slice() {
            [] => String::new(),
            [(w, n)] if *n == of.len() => format!(" ({w})"),
            _ => format!(
                " ({})",
                whys.iter()
                    .map(|(w, n)| format!("{n} {w}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        parts.push(format!("{} {}{detail}", of.len(), name(v)));
    }
    if parts.is_empty() {
        "Apply: nothing to do.".into()
    } else {
        format!("Apply: {}.", parts.join(", "))
    }
}

/// The final table; `markdown` renders it as a Markdown table.
pub fn human(report: &Report, markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        out.push_str("### postwright apply\n\n| result | post | media id | permalink / message |\n|---|---|---|---|\n");
        for o in &report.outcomes {
            let _ = writeln!(
                out,
                "| {} {} | `{}` | {} | {} |",
                symbol(o.result),
                name(o.result),
                md_cell(&o.file),
                o.media_id.as_deref().unwrap_or(""),
                md_cell(o.permalink.as_deref().unwrap_or(&o.message))
            );
        }
        out.push('\n');
    } else {
        // Each post's result was printed on stderr as it happened; the end
        // repeats only what needs someone (failed, deferred, pending), then
        // the counts — as Terraform ends an apply.
        let attention: Vec<_> = report
            .outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o.result,
                    Verdict::Failed | Verdict::Deferred | Verdict::Held | Verdict::Adopted
                ) || !o.pending.is_empty()
            })
            .collect();
        let width = attention
            .iter()
            .map(|o| o.file.chars().count())
            .max()
            .unwrap_or(0);
        let mut said: Vec<&str> = Vec::new();
        for o in &attention {
            let detail = match (o.result, &o.permalink) {
                (Verdict::Published | Verdict::Updated | Verdict::Moved, Some(p)) => {
                    format!("{}  {p}", o.media_id.as_deref().unwrap_or(""))
                }
                // The same reason for several posts (an account without a
                // token): said at its first post, pointed to after.
                _ if said.contains(&o.message.as_str()) => "the same as above".to_string(),
                _ => {
                    said.push(&o.message);
                    o.message.clone()
                }
            };
            let head = format!("{} {:<9}", symbol(o.result), name(o.result));
            let detail = match o.why {
                Some(w) => format!("{}: {detail}", w.name()),
                None => detail,
            };
            let _ = writeln!(
                out,
                "{} {:<width$}  {detail}",
                style::paint(verdict_style(o.result), &head),
                o.file
            );
            for p in &o.pending {
                let _ = writeln!(out, "  {:<9} {:<width$}  pending: {p}", "", "");
            }
        }
        if !attention.is_empty() {
            out.push('\n');
        }
    }
    for w in &report.warnings {
        let _ = writeln!(out, "{}: {w}", style::paint(style::WARNING, "warning"));
    }
    if let Some(s) = &report.stopped {
        let _ = writeln!(out, "stopped early: {}", s.message);
    }
    if let Some(u) = &report.uploads {
        let _ = writeln!(out, "{}", uploads_line(u));
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    if markdown {
        // Markdown is read on GitHub, not on a terminal.
        return style::strip(&out);
    }
    out
}

/// `Media store s3://b/p: 3 files uploaded (4.2 MB), 2 already there.`
fn uploads_line(u: &crate::hosting::store::Uploads) -> String {
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut line = format!(
        "Media store {}: {} file{} uploaded ({}), {} already there",
        u.store,
        u.files,
        plural(u.files),
        crate::hosting::store::megabytes(u.bytes),
        u.present
    );
    if u.failed > 0 {
        let _ = write!(line, ", {} could not be stored", u.failed);
    }
    line.push('.');
    line
}

pub fn json(report: &Report) -> String {
    let mut summary = serde_json::Map::new();
    for o in &report.outcomes {
        let n = summary
            .entry(name(o.result))
            .or_insert(serde_json::json!(0));
        *n = serde_json::json!(n.as_u64().unwrap_or(0) + 1);
    }
    let mut value = serde_json::json!({
        "format_version": super::JSON_FORMAT_VERSION,
        "at": report.at,
        "summary": summary,
        "results": report.outcomes,
        "warnings": report.warnings,
    });
    if let Some(s) = &report.stopped {
        value["stopped"] = serde_json::json!(s);
    }
    if let Some(u) = &report.uploads {
        value["uploads"] = serde_json::json!(u);
    }
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

/// A post file as the workflow's checkout names it.
fn in_workspace(prefix: &str, file: &str) -> String {
    if prefix.is_empty() {
        file.to_string()
    } else {
        format!("{}/{file}", prefix.trim_end_matches('/'))
    }
}

/// Failures as error annotations on the post files, posts held for a
/// person as warnings, then the table.
pub fn github(report: &Report, prefix: &str) -> String {
    let mut out = String::new();
    for o in report
        .outcomes
        .iter()
        .filter(|o| o.result == Verdict::Failed)
    {
        let file = in_workspace(prefix, &o.file);
        let _ = writeln!(
            out,
            "::error file={},line=1,title=apply failed::{}",
            github::escape_property(&file),
            github::escape_data(&o.message)
        );
    }
    for o in report.outcomes.iter().filter(|o| o.needs_person()) {
        let file = in_workspace(prefix, &o.file);
        let _ = writeln!(
            out,
            "::warning file={},line=1,title=not published ({})::{}",
            github::escape_property(&file),
            o.why.map_or("held", |w| w.name()),
            github::escape_data(&o.message)
        );
    }
    for w in &report.warnings {
        let _ = writeln!(
            out,
            "::warning title=postwright::{}",
            github::escape_data(w)
        );
    }
    if let Some(s) = report.stopped.as_ref().filter(|s| s.fails) {
        let _ = writeln!(
            out,
            "::error title=postwright state record::{}",
            github::escape_data(&s.message)
        );
    }
    // The log is not a terminal: no colour.
    out.push_str(&style::strip(&human(report, false)));
    out
}

#[cfg(test)]
mod tests {
    use super::{name, uploads_line};
    use crate::apply::{Verdict, Why};
    use crate::hosting::store::Uploads;

    /// The README's tables are the user's copy of the vocabularies.
    #[test]
    fn the_readme_names_every_plan_action_apply_result_and_reason() {
        let readme = include_str!("../../README.md");
        for action in crate::plan::Action::ALL {
            let row = format!("| `{}` |", action.name());
            assert!(readme.contains(&row), "README's plan table lacks {row}");
        }
        let results = readme
            .split_once("**Every due post gets an outcome.**")
            .map(|(_, rest)| rest)
            .expect("README documents apply's results");
        for v in Verdict::ALL {
            assert!(results.contains(&format!("`{}`", name(v))), "{v:?}");
        }
        for w in Why::ALL {
            let json = serde_json::to_value(w).unwrap();
            let json = json.as_str().unwrap();
            assert!(
                results.contains(&format!("`{json}`")),
                "README lacks why {json}"
            );
        }
    }

    #[test]
    fn the_store_line_says_files_bytes_and_failures() {
        let mut u = Uploads {
            store: "s3://kiln-media/feed".into(),
            files: 1,
            bytes: 2_345_678,
            present: 4,
            failed: 0,
        };
        assert_eq!(
            uploads_line(&u),
            "Media store s3://kiln-media/feed: 1 file uploaded (2.3 MB), 4 already there."
        );
        u.files = 0;
        u.failed = 2;
        assert!(uploads_line(&u)
            .ends_with("0 files uploaded (2.3 MB), 4 already there, 2 could not be stored."));
    }
}
