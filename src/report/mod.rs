//! Output formats: human diagnostics with source snippets, JSON, GitHub
//! workflow commands, Markdown.

pub mod apply;
pub mod auth;
pub mod github;
pub mod mask;
pub mod plan;
pub mod progress;
pub mod status;
pub mod style;

use crate::diagnostic::{Pos, Problem, Severity};
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

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
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
/// line underlining what is wrong, the help, and notes at other places,
/// styled for a terminal (see [`style`]). Source lines are read again only
/// for files with problems.
pub fn human(repo: &Path, problems: &[&Problem], files: usize, scanned: &[FolderScan]) -> String {
    let mut sources: HashMap<&str, Option<Vec<String>>> = HashMap::new();
    let mut out = String::new();
    for p in problems {
        let level = style::paint(
            style::severity(p.severity),
            &format!("{}[{}]", p.severity, p.rule),
        );
        let _ = writeln!(
            out,
            "{}:{}:{}: {level}: {}",
            p.file,
            p.line,
            p.column,
            style::paint(style::STRONG, &p.message)
        );
        let lines = sources
            .entry(p.file.as_str())
            .or_insert_with(|| read_lines(repo, &p.file));
        snippet(
            &mut out,
            lines.as_deref(),
            p.pos(),
            p.end(),
            '^',
            style::severity(p.severity),
        );
        if let Some(help) = &p.help {
            let _ = writeln!(out, "  = {}: {help}", style::paint(style::HELP, "help"));
        }
        for n in &p.notes {
            let _ = writeln!(
                out,
                "{}:{}:{}: {}: {}",
                n.file,
                n.line,
                n.column,
                style::paint(style::HELP, "note"),
                style::paint(style::STRONG, &n.message)
            );
            let lines = sources
                .entry(n.file.as_str())
                .or_insert_with(|| read_lines(repo, &n.file));
            snippet(
                &mut out,
                lines.as_deref(),
                Pos::new(n.line, n.column),
                n.end,
                '-',
                style::HELP,
            );
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

/// Columns a tab takes in a quoted line.
const TAB_WIDTH: usize = 4;

/// The quoted source line at `at` with `mark` under `at..end` (one mark
/// when the end is unknown; to the end of the line when it is on a later
/// one). Nothing for a line that cannot be quoted.
fn snippet(
    out: &mut String,
    lines: Option<&[String]>,
    at: Pos,
    end: Option<Pos>,
    mark: char,
    mark_style: anstyle::Style,
) {
    let Some(text) = lines.and_then(|l| l.get(at.line.saturating_sub(1))) else {
        return;
    };
    let chars: Vec<char> = text.chars().take(QUOTE_CHARS).collect();
    let width = |c: &char| if *c == '\t' { TAB_WIDTH } else { 1 };
    let start = at.column.saturating_sub(1).min(chars.len());
    let stop = match end {
        Some(e) if e.line == at.line => e.column.saturating_sub(1),
        Some(e) if e.line > at.line => chars.len(),
        _ => start + 1,
    }
    .min(chars.len())
    .max(start + 1);
    let mut shown: String = chars
        .iter()
        .map(|c| {
            if *c == '\t' {
                " ".repeat(TAB_WIDTH)
            } else {
                c.to_string()
            }
        })
        .collect();
    if text.chars().count() > QUOTE_CHARS {
        shown.push('…');
    }
    let pad: usize = chars[..start].iter().map(width).sum();
    let marks: usize = chars
        .get(start..stop)
        .map_or(1, |s| s.iter().map(width).sum::<usize>().max(1));
    let gutter = " ".repeat(at.line.to_string().len());
    let bar = style::paint(style::GUTTER, "|");
    let _ = writeln!(out, "{gutter} {bar}");
    let number = style::paint(style::GUTTER, &at.line.to_string());
    let _ = writeln!(out, "{number} {bar} {shown}");
    let marks = style::paint(mark_style, &mark.to_string().repeat(marks));
    let _ = writeln!(out, "{gutter} {bar} {}{marks}", " ".repeat(pad));
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
    Some(text.split('\n').map(str::to_string).collect())
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

/// The record was not read (see [`crate::state::read_only`]): the warning
/// under a plan's or status's first line, for people.
pub fn doubt_human(doubt: &crate::state::Doubt) -> String {
    format!(
        "{}: {}\n  {} {}\n",
        style::paint(style::WARNING, "warning"),
        doubt.message,
        style::paint(style::HELP, "= help:"),
        doubt.help
    )
}

/// The same for a pull-request comment or a job summary: a quote under the
/// headline.
pub fn doubt_markdown(doubt: &crate::state::Doubt) -> String {
    format!(
        "> {}.\n>\n> {}.\n\n",
        md_cell(&doubt.message),
        md_cell(&doubt.help)
    )
}
