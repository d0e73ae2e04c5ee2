//! Output formats: human diagnostics with source snippets, JSON, GitHub
//! workflow commands, Markdown.

pub mod apply;
pub mod auth;
pub mod github;
pub mod mask;
pub mod plan;
pub mod progress;
pub mod status;

use crate::diagnostic::{Problem, Severity};
use crate::validate::FolderScan;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// The `format_version` of every JSON document postwright prints (plan,
/// validate, apply, status, auth, state): fields are only added within a
/// version.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics for people, with source snippets.
    Human,
    /// Machine-readable JSON on stdout.
    Json,
    /// Markdown (pull-request comments, job summaries).
    Markdown,
    /// GitHub Actions workflow commands (annotations on the diff).
    Github,
}

impl Format {
    /// The format when none is given: `github` inside GitHub Actions.
    pub fn default_for_env() -> Format {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            Format::Github
        } else {
            Format::Human
        }
    }
}

/// Counts of errors and warnings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
}

impl Tally {
    pub fn of<'a>(problems: impl IntoIterator<Item = &'a Problem>) -> Tally {
        let mut t = Tally::default();
        for p in problems {
            match p.severity {
                Severity::Error => t.errors += 1,
                Severity::Warning => t.warnings += 1,
            }
        }
        t
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing line of `validate`: `2 errors, 1 warning in 7 posts`.
pub fn summary_line(files: usize, tally: Tally) -> String {
    let posts = plural(files, "post", "posts");
    match (tally.errors, tally.warnings) {
        (0, 0) => format!("{posts} checked: no problems"),
        (e, 0) => format!("{} in {posts}", plural(e, "error", "errors")),
        (0, w) => format!("{} in {posts}, no errors", plural(w, "warning", "warnings")),
        (e, w) => format!(
            "{}, {} in {posts}",
            plural(e, "error", "errors"),
            plural(w, "warning", "warnings")
        ),
    }
}

/// Longest source line quoted in a snippet, in characters.
pub const QUOTE_CHARS: usize = 120;

/// Human diagnostics: `FILE:LINE:COL: error[RULE]: MESSAGE`, a snippet of the
/// line, and the help. Source lines are read again only for files with
/// problems.
pub fn human(repo: &Path, problems: &[&Problem], files: usize, scanned: &[FolderScan]) -> String {
    let mut sources: HashMap<&str, Option<Vec<String>>> = HashMap::new();
    let mut out = String::new();
    for p in problems {
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}",
            p.file, p.line, p.column, p.severity, p.rule, p.message
        );
        let lines = sources
            .entry(p.file.as_str())
            .or_insert_with(|| read_lines(repo, &p.file));
        if let Some(text) = lines.as_ref().and_then(|l| l.get(p.line.saturating_sub(1))) {
            let gutter = p.line.to_string().len();
            let mut shown: String = text.chars().take(QUOTE_CHARS).collect();
            if text.chars().count() > QUOTE_CHARS {
                shown.push('…');
            }
            let pad = " ".repeat(gutter);
            let caret = " ".repeat(p.column.saturating_sub(1).min(shown.chars().count()));
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {}", p.line, shown);
            let _ = writeln!(out, "{pad} | {caret}^");
        }
        if let Some(help) = &p.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out.push('\n');
    }
    for f in scanned {
        out.push_str(&f.line());
        out.push('\n');
    }
    out.push_str(&summary_line(files, Tally::of(problems.iter().copied())));
    out.push('\n');
    out
}

/// The file's lines as postwright numbers them (BOM removed, CRLF and lone
/// CR as line ends); None for binary or unreadable files, and for anything
/// that is not a regular file inside the repo: no byte of a file outside it
/// (a symlink's target), of a device or of a FIFO is ever quoted. A path
/// given absolute (`--config FILE`, named by the user) is only checked to be
/// a regular file.
fn read_lines(repo: &Path, file: &str) -> Option<Vec<String>> {
    let limit = crate::content::MAX_POST_BYTES;
    let bytes = if Path::new(file).is_absolute() {
        crate::content::safe::read_quotable(Path::new("/"), file, limit)?
    } else {
        crate::content::safe::read_quotable(repo, file, limit)?
    };
    let text = String::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let text = crate::content::normalize_line_ends(text);
    Some(text.split('\n').map(|l| l.replace('\t', "    ")).collect())
}

/// `{"files": N, "errors": E, "warnings": W, "problems": [...]}`.
pub fn json(problems: &[&Problem], files: usize, scanned: &[FolderScan]) -> String {
    let tally = Tally::of(problems.iter().copied());
    let value = serde_json::json!({
        "format_version": JSON_FORMAT_VERSION,
        "files": files,
        "scanned": scanned,
        "errors": tally.errors,
        "warnings": tally.warnings,
        "problems": problems,
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

/// A Markdown table of problems.
pub fn markdown(problems: &[&Problem], files: usize, scanned: &[FolderScan]) -> String {
    let mut out = String::from("### postwright validate\n\n");
    if !problems.is_empty() {
        out.push_str("| | file | rule | problem |\n|---|---|---|---|\n");
        for p in problems {
            let icon = match p.severity {
                Severity::Error => "❌",
                Severity::Warning => "⚠️",
            };
            let _ = writeln!(
                out,
                "| {icon} | `{}:{}` | `{}` | {} |",
                p.file,
                p.line,
                p.rule,
                md_cell(&p.message)
            );
        }
        out.push('\n');
    }
    for f in scanned {
        let _ = writeln!(out, "{}  ", md_cell(&f.line()));
    }
    out.push_str(&summary_line(files, Tally::of(problems.iter().copied())));
    out.push('\n');
    out
}

/// Text made safe for one Markdown table cell.
pub fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
