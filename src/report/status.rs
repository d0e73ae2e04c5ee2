//! `postwright status` for people (aligned columns) and for Markdown.

use super::md_cell;
use std::fmt::Write as _;

/// One part of the status: a title and its rows, `more` left out.
pub struct Section {
    pub title: String,
    pub rows: Vec<Vec<String>>,
    pub more: usize,
}

/// Sections with their columns aligned (by characters, so a permalink or a
/// time zone name does not push the next column out of line).
pub fn human(sections: &[Section]) -> String {
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}:", s.title);
        let columns = s.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                s.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|v| v.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &s.rows {
            let mut line = String::from(" ");
            for (c, value) in row.iter().enumerate() {
                let pad = widths[c].saturating_sub(value.chars().count());
                let _ = write!(line, " {value}");
                if c + 1 < row.len() {
                    line.extend(std::iter::repeat_n(' ', pad + 1));
                }
            }
            let _ = writeln!(out, "{line}");
        }
        if s.more > 0 {
            let _ = writeln!(out, "  … and {} more", s.more);
        }
    }
    out
}

/// Sections as Markdown lists (a job summary, an issue).
pub fn markdown(sections: &[Section]) -> String {
    let mut out = String::from("### postwright status\n");
    for s in sections {
        let _ = writeln!(out, "\n**{}**\n", md_cell(&s.title));
        if s.rows.is_empty() {
            out.push_str("- none\n");
        }
        for row in &s.rows {
            let cells: Vec<String> = row.iter().map(|v| format!("`{}`", md_cell(v))).collect();
            let _ = writeln!(out, "- {}", cells.join(" · "));
        }
        if s.more > 0 {
            let _ = writeln!(out, "- … and {} more", s.more);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_whatever_the_lengths() {
        let s = Section {
            title: "Next (2 due or scheduled)".into(),
            rows: vec![
                vec!["2026-12-01 09:00 CET".into(), "a".into(), "publish".into()],
                vec![
                    "at the next apply".into(),
                    "longer-id".into(),
                    "scheduled".into(),
                ],
            ],
            more: 3,
        };
        let text = human(&[s]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Next (2 due or scheduled):");
        let col = |l: &str, word: &str| l.chars().take(l.find(word).unwrap()).count();
        assert_eq!(col(lines[1], "a "), col(lines[2], "longer-id"));
        assert_eq!(col(lines[1], "publish"), col(lines[2], "scheduled"));
        assert_eq!(lines[3], "  … and 3 more");
    }
}
