//! The YAML mistakes people make, said in plain words with the fix.
//!
//! The parser's own messages ("mapping values are not allowed in this
//! context") name the grammar, not the mistake. Almost every YAML error in a
//! post is one of a few slips: a tab as indentation, a `: ` inside a value,
//! a value starting with a character YAML reserves (`#`, `@`, `` ` ``, `*`,
//! `&`). Each is recognised from the line it is on and explained with the
//! quoted form of the value, which is nearly always the fix.

use super::yaml::{YamlError, YamlErrorKind};
use crate::diagnostic::{Pos, Problem, Rule};

/// Why a value the file seems to give is empty to YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmptyCause {
    /// `key: #text`: `#` after a space starts a comment.
    Comment,
    /// `key: &text`: `&` names an anchor, the value after it is empty.
    Anchor,
}

/// A value that is empty (null) only because of how it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyValue {
    pub key: String,
    /// What the author meant as the value: the rest of the line.
    pub text: String,
    pub cause: EmptyCause,
    pub start: Pos,
    pub end: Pos,
}

/// Why the empty value of `key`, which ends just before `key_end` in
/// `source`, is empty, when the rest of its line says a value was meant
/// (`key: #tags`, `key: &text`).
pub fn empty_value(source: &str, key: &str, key_end: Pos) -> Option<EmptyValue> {
    let line = source.split('\n').nth(key_end.line.checked_sub(1)?)?;
    let mut rest = line.chars().skip(key_end.column.checked_sub(1)?);
    if rest.next() != Some(':') {
        return None;
    }
    let rest: String = rest.collect();
    meant_value(key, &rest, key_end.line, key_end.column + 1)
}

/// How `key: <rest>` reads when `rest` (the line after the `:`, starting
/// at `column`) starts with `#` or `&`: what the value would have been.
fn meant_value(key: &str, rest: &str, line: usize, column: usize) -> Option<EmptyValue> {
    let lead = rest.chars().take_while(|c| *c == ' ' || *c == '\t').count();
    let text = rest.trim().to_string();
    let cause = match text.chars().next()? {
        '#' => EmptyCause::Comment,
        '&' => EmptyCause::Anchor,
        _ => return None,
    };
    let start = Pos::new(line, column + lead);
    let end = Pos::new(line, start.column + text.chars().count());
    Some(EmptyValue {
        key: key.to_string(),
        text,
        cause,
        start,
        end,
    })
}

impl EmptyValue {
    /// The problem to report instead of the schema's "empty value".
    pub fn problem(&self, file: &str, rule: Rule) -> Problem {
        // The fields that hold hashtags are where `#` is the usual slip.
        let hashtags = matches!(self.key.as_str(), "caption" | "first_comment");
        let (message, why) = match self.cause {
            EmptyCause::Comment => (
                format!(
                    "`{}` is empty: YAML reads `{}` as a comment, because `#` after a space starts one",
                    self.key,
                    clip(&self.text)
                ),
                if hashtags { "hashtags" } else { "the value" },
            ),
            EmptyCause::Anchor => (
                format!(
                    "`{}` is empty: YAML reads `{}` as an anchor name (`&` starts one), not as text",
                    self.key,
                    clip(&self.text)
                ),
                "text starting with `&`",
            ),
        };
        Problem::new(rule, file, self.start, message)
            .with_end(self.end)
            .with_help(format!(
                "quote {why}: `{}: {}`",
                self.key,
                quoted(&self.text)
            ))
    }
}

/// Rewrites a syntax error of `text` (positions still relative to `text`)
/// in plain words with the fix, when it is one of the known slips.
pub fn explain(text: &str, e: &mut YamlError) {
    if e.kind != YamlErrorKind::Syntax {
        return;
    }
    let line_text = |n: usize| text.split('\n').nth(n.saturating_sub(1)).unwrap_or("");
    let before = |line: &str, column: usize| line.chars().nth(column.checked_sub(2)?);
    if e.message
        .contains("must be followed by a valid YAML whitespace")
        && before(line_text(e.pos.line), e.pos.column) == Some('\t')
    {
        e.pos.column -= 1;
        e.message = "a tab after `:`; YAML separates a key from its value with a space".into();
        e.help = Some("replace the tab with a space".into());
    } else if e.message.contains("tab") {
        explain_tab(text, e);
    } else if e.message.contains("quoted scalar") && e.message.contains("end of stream") {
        let quote = line_text(e.pos.line)
            .chars()
            .nth(e.pos.column - 1)
            .unwrap_or('"');
        e.message = "this quoted value is never closed".into();
        e.help = Some(format!("end it with a matching `{quote}`"));
    } else if e.message.contains("invalid trailing content after") {
        explain_inner_quote(line_text(e.pos.line), e);
    } else if e.message.contains("illegal placement of ':'")
        || e.message.contains("expected ',' or ']'")
        || e.message.contains("expected ',' or '}'")
        || e.message.contains("invalid indentation in flow construct")
    {
        let end = Pos::new(usize::MAX, usize::MAX);
        let open_before = unclosed(text, e.pos);
        // Open before the error and still open at the end of the text.
        if let Some((at, open)) = open_before.filter(|o| unclosed(text, end) == Some(*o)) {
            let close = if open == '[' { ']' } else { '}' };
            e.pos = at;
            e.message = format!("this `{open}` is never closed");
            e.help = Some(format!(
                "end the list with `{close}` (on the same line is clearest)"
            ));
        } else if open_before.is_some() {
            e.message = "a `[…]` or `{…}` that goes on to the next line must indent that line more than its key".into();
            e.help = Some("indent the continued line, or keep the list on one line".into());
        }
    } else if e.message.contains("block sequence entries are not allowed") {
        e.message = "a list item (`- `) cannot start on the line of its key".into();
        e.help = Some(
            "put each `- item` on its own line, indented under the key, or write `key: [item, item]`"
                .into(),
        );
    } else if e.message.contains("did not find expected key") {
        e.message =
            "a key is expected here: this line is indented differently from the keys above it"
                .into();
        e.help = Some("indent it exactly like the other keys of its mapping".into());
    } else if e.message.contains("simple key expect ':'") {
        // Reported where the next token starts: the key is on a line above.
        let lines: Vec<&str> = text.split('\n').collect();
        let upto = e.pos.line.min(lines.len());
        if let Some(i) = (0..upto).rev().find(|&i| !lines[i].trim().is_empty()) {
            let indent = lines[i].chars().take_while(|c| *c == ' ').count();
            e.pos = Pos::new(i + 1, indent + 1);
            e.end = Some(Pos::new(i + 1, lines[i].trim_end().chars().count() + 1));
        }
        e.message = "this line has no `:`; a field is written `key: value`".into();
        e.help = None;
    } else if e.message.contains("mapping values are not allowed") {
        let line = line_text(e.pos.line);
        let Some((key, start, value)) = key_and_value(line).filter(|(_, s, _)| e.pos.column > *s)
        else {
            // The `:` of the line's own key: the key is not where a key can be.
            e.message = "a key cannot start here: this line's indentation does not line up with the keys above it".into();
            e.help = Some("indent it exactly like the other keys of its mapping (or quote the value if the `:` is part of it)".into());
            return;
        };
        e.message = format!(
            "the value of `{key}` holds `: `, which YAML reads as the start of another key"
        );
        e.help = Some(format!(
            "put the value in quotes: `{key}: {}`",
            quoted(value)
        ));
        e.pos.column = start;
        e.end = Some(Pos::new(e.pos.line, start + value.chars().count()));
    } else if let Some(c) = reserved(&e.message) {
        let line = line_text(e.pos.line);
        e.message = format!("a value cannot start with `{c}`: YAML reserves it");
        e.help = Some(quote_help(line, e.pos.column, "put the value in quotes"));
        e.end = value_end(line, e.pos);
    } else if e.message.contains("unknown anchor") {
        let line = line_text(e.pos.line);
        let name: String = line
            .chars()
            .skip(e.pos.column)
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}'))
            .collect();
        e.message = format!(
            "`*` starts a YAML alias (a reference to a value marked `&name`), and no anchor `{name}` is defined"
        );
        e.help = Some(quote_help(
            line,
            e.pos.column,
            "to write text starting with `*`, quote it",
        ));
        e.end = value_end(line, e.pos);
    }
}

/// A quoted value with more text after its closing quote: almost always a
/// quote inside the value (`"He said "hi""`, `'it's'`).
fn explain_inner_quote(line: &str, e: &mut YamlError) {
    let Some((key, start, value)) = key_and_value(line) else {
        e.message = "the quoted value ends at a quote, and more text follows it".into();
        return;
    };
    let quote = value.chars().next().unwrap_or('"');
    let inner = value.strip_prefix(quote).unwrap_or(value);
    let inner = inner.strip_suffix(quote).unwrap_or(inner);
    let (fix, how) = if quote == '\'' {
        let fixed = if inner.contains(['"', '\\']) {
            format!("'{}'", inner.replace('\'', "''"))
        } else {
            format!("\"{inner}\"")
        };
        (fixed, "for a `'` inside, quote with `\"` or write `''`")
    } else {
        (
            format!("'{}'", inner.replace('\'', "''")),
            "for a `\"` inside, quote with `'` instead",
        )
    };
    e.message = format!(
        "the value of `{key}` ends at its second `{quote}`, and more text follows: a `{quote}` inside a value quoted with `{quote}` ends it"
    );
    e.help = Some(format!("{how}: `{key}: {fix}`"));
    e.pos.column = start;
    e.end = Some(Pos::new(e.pos.line, start + value.chars().count()));
}

/// The last `[` or `{` before `at` left open (quotes skipped), if any.
fn unclosed(text: &str, at: Pos) -> Option<(Pos, char)> {
    let mut open: Vec<(Pos, char)> = Vec::new();
    for (i, line) in text.split('\n').enumerate().take(at.line) {
        let mut quote = None;
        let mut previous = ' ';
        for (j, c) in line.chars().enumerate() {
            if i + 1 == at.line && j + 1 >= at.column {
                break;
            }
            let after_space = previous == ' ';
            previous = c;
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                // A comment runs to the end of the line.
                (None, '#') if after_space => break,
                (None, '[' | '{') => open.push((Pos::new(i + 1, j + 1), c)),
                (None, ']' | '}') => {
                    open.pop();
                }
                _ => {}
            }
        }
    }
    open.pop()
}

/// Points a tab error at the tab itself, with the fix. The scanner reports
/// some tabs at the start of the scalar before them (a line or more up).
fn explain_tab(text: &str, e: &mut YamlError) {
    let lines: Vec<&str> = text.split('\n').collect();
    let from = e.pos.line.max(1);
    // The first tab in an indentation at or below the reported line.
    let found = lines.iter().enumerate().skip(from - 1).find_map(|(i, l)| {
        let indent = l.len() - l.trim_start_matches([' ', '\t']).len();
        l[..indent]
            .chars()
            .position(|c| c == '\t')
            .map(|col| Pos::new(i + 1, col + 1))
    });
    if let Some(at) = found {
        e.pos = at;
        e.message = "a tab indents this line; YAML indents with spaces only".into();
    } else {
        // A tab elsewhere on the reported line (after a `:` or a `-`).
        let line = lines.get(from - 1).copied().unwrap_or("");
        if let Some(col) = line.chars().position(|c| c == '\t') {
            e.pos = Pos::new(from, col + 1);
        }
        e.message = "a tab here; YAML does not allow tabs in this place".into();
    }
    e.end = None;
    e.help = Some("indent with spaces".into());
}

/// The character the scanner calls unexpected, when YAML reserves it.
fn reserved(message: &str) -> Option<char> {
    let c = message
        .strip_prefix("unexpected character: `")?
        .chars()
        .next()?;
    matches!(c, '@' | '`' | '%').then_some(c)
}

/// `key`, the column where its value starts, and the value, of a line
/// `  - key: value`; None when the line is not one.
fn key_and_value(line: &str) -> Option<(&str, usize, &str)> {
    let body = line.trim_start_matches(' ');
    let body = body.strip_prefix("- ").unwrap_or(body);
    let split = body.find(": ")?;
    let key = body[..split].trim();
    if key.is_empty() || key.starts_with(['"', '\'', '[', '{', '#']) {
        return None;
    }
    let after = &body[split + 1..];
    let value = after.trim_start_matches(' ').trim_end();
    if value.is_empty() {
        return None;
    }
    let value_byte = line.len() - after.len() + (after.len() - after.trim_start_matches(' ').len());
    Some((key, line[..value_byte].chars().count() + 1, value))
}

/// The value starting at `at`: to the end of its line, or inside a flow
/// list (`[a, @b]`) to the next `,`, `]` or `}`.
fn token(line: &str, at: Pos) -> &str {
    let Some((byte, _)) = line.char_indices().nth(at.column.saturating_sub(1)) else {
        return "";
    };
    let in_flow = line[..byte].trim_end().ends_with(['[', '{', ',']);
    let rest = &line[byte..];
    let len = if in_flow {
        rest.find([',', ']', '}']).unwrap_or(rest.len())
    } else {
        rest.len()
    };
    rest[..len].trim_end()
}

/// Just past the value starting at `at`.
fn value_end(line: &str, at: Pos) -> Option<Pos> {
    let len = token(line, at).chars().count();
    (len > 1).then(|| Pos::new(at.line, at.column + len))
}

/// `lead: `key: "value"``, or `lead: `"value"`` for a value not after a key.
fn quote_help(line: &str, column: usize, lead: &str) -> String {
    match key_and_value(line) {
        Some((key, start, value)) if start == column => {
            format!("{lead}: `{key}: {}`", quoted(value))
        }
        _ => match token(line, Pos::new(1, column)) {
            "" => lead.to_string(),
            value => format!("{lead}: `{}`", quoted(value)),
        },
    }
}

/// The value as a YAML string: double quotes, or single quotes when it
/// holds `"` or `\` (which double quotes would escape).
pub fn quoted(value: &str) -> String {
    if value.contains(['"', '\\']) {
        format!("'{}'", value.replace('\'', "''"))
    } else {
        format!("\"{value}\"")
    }
}

/// A value quoted inside a message, kept short.
fn clip(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> YamlError {
        super::super::yaml::parse(text, 0).unwrap_err()
    }

    #[test]
    fn a_colon_in_a_value_says_to_quote_it() {
        let e = error("media: [a.jpg]\nalt_text: Note: a blue mug\n");
        assert_eq!(e.pos, Pos::new(2, 11));
        assert_eq!(e.end, Some(Pos::new(2, 27)));
        assert!(e.message.contains("holds `: `"), "{}", e.message);
        assert_eq!(
            e.help.as_deref(),
            Some("put the value in quotes: `alt_text: \"Note: a blue mug\"`")
        );
    }

    #[test]
    fn a_tab_is_pointed_at_on_its_own_line() {
        // The scanner blames the scalar of line 2; the tab is on line 3.
        let e = error("media:\n  - src: a.jpg\n\t alt_text: x\n");
        assert_eq!(e.pos, Pos::new(3, 1), "{e:?}");
        assert_eq!(e.help.as_deref(), Some("indent with spaces"));
    }

    #[test]
    fn reserved_first_characters_say_to_quote() {
        let e = error("media: [a.jpg]\ncaption: @studio opens\n");
        assert_eq!(e.pos, Pos::new(2, 10));
        assert!(e.message.contains("`@`"), "{}", e.message);
        assert_eq!(
            e.help.as_deref(),
            Some("put the value in quotes: `caption: \"@studio opens\"`")
        );
        let e = error("media: [a.jpg]\ncaption: *new* mugs\n");
        assert!(e.message.contains("alias"), "{}", e.message);
        assert_eq!(
            e.help.as_deref(),
            Some("to write text starting with `*`, quote it: `caption: \"*new* mugs\"`")
        );
    }

    #[test]
    fn any_position_of_any_text_is_safe() {
        let text = "média:\n\t- é: x: y\n  - \t@z\ncaption: *ü\n";
        for message in [
            "found a tab",
            "mapping values are not allowed in this context",
            "unexpected character: `@'",
            "unknown anchor",
        ] {
            for line in 0..7 {
                for column in 0..25 {
                    let mut e = YamlError {
                        kind: YamlErrorKind::Syntax,
                        pos: Pos::new(line, column),
                        end: None,
                        message: message.into(),
                        help: None,
                    };
                    explain(text, &mut e);
                }
            }
        }
        for (line, column) in [(0, 0), (1, 0), (2, 99), (9, 1)] {
            let _ = empty_value(text, "k", Pos::new(line, column));
        }
    }

    #[test]
    fn quotes_brackets_and_missing_colons() {
        let e = error("media: [a.jpg]\ncaption: \"He said \"hi\" today\"\n");
        assert_eq!((e.pos, e.end), (Pos::new(2, 10), Some(Pos::new(2, 30))));
        assert_eq!(
            e.help.as_deref(),
            Some("for a `\"` inside, quote with `'` instead: `caption: 'He said \"hi\" today'`")
        );
        let e = error("media: [a.jpg]\ncaption: 'it's'\n");
        assert!(
            e.help.as_deref().unwrap().ends_with("`caption: \"it's\"`"),
            "{e:?}"
        );
        let e = error("caption: x\nmedia: [a.jpg, # the list\nfirst_comment: y\n");
        assert_eq!(e.pos, Pos::new(2, 8), "{e:?}");
        assert_eq!(e.message, "this `[` is never closed");
        let e = error("media: [a.jpg]\ncaption x\n");
        assert_eq!((e.pos, e.end), (Pos::new(2, 1), Some(Pos::new(2, 10))));
        let e = error("media: [a.jpg]\ncaption:\tHello\n");
        assert_eq!(e.pos, Pos::new(2, 9));
        assert_eq!(e.help.as_deref(), Some("replace the tab with a space"));
        let e = error("media: [a.jpg]\ncollaborators: [@ben]\n");
        assert_eq!((e.pos, e.end), (Pos::new(2, 17), Some(Pos::new(2, 21))));
        assert_eq!(
            e.help.as_deref(),
            Some("put the value in quotes: `\"@ben\"`")
        );
    }

    #[test]
    fn empty_values_know_why() {
        let source = "media: [a.jpg]\ncaption: hi\nfirst_comment: #ceramics #mug\n";
        let v = empty_value(source, "first_comment", Pos::new(3, 14)).unwrap();
        assert_eq!((v.start, v.end), (Pos::new(3, 16), Pos::new(3, 30)));
        let p = v.problem("posts/a.md", Rule::Schema);
        assert_eq!(
            p.help.as_deref(),
            Some("quote hashtags: `first_comment: \"#ceramics #mug\"`")
        );
        assert!(empty_value("caption: plain\n", "caption", Pos::new(1, 8)).is_none());
        assert_eq!(quoted("say \"hi\""), "'say \"hi\"'");
    }
}
