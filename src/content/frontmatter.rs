//! Splits a Markdown post into its YAML front matter and its body.
//!
//! Our own splitter, not a crate: we need the line where each part starts so
//! that errors in the front matter and in the caption point at the right line
//! of the file, and the crates we looked at trim that information away.

/// The parts of a Markdown post. Line numbers are 1-based lines of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML between the fences.
    pub yaml: &'a str,
    /// Lines of the file before the YAML (the opening fence and anything above).
    pub yaml_line_offset: usize,
    /// The body with trailing whitespace trimmed and leading blank lines skipped.
    pub body: &'a str,
    /// The line of the body's first non-blank line (where the caption starts).
    pub body_line: usize,
}

/// Why a file that opens front matter is not a well-formed post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclosed {
    /// The line of the opening fence.
    pub line: usize,
}

/// True when `text` opens with a `---` fence line: the mark of a Markdown post.
pub fn has_front_matter(text: &str) -> bool {
    first_line(text).trim_end() == "---"
}

fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or("")
}

/// Splits `text` (already without BOM and with `\n` line ends).
///
/// Returns `Ok(None)` when the file has no front matter (not a post), and
/// `Err` when a front matter is opened and never closed.
pub fn split(text: &str) -> Result<Option<Split<'_>>, Unclosed> {
    if !has_front_matter(text) {
        return Ok(None);
    }
    let yaml_start = first_line(text).len() + 1;
    let mut offset = yaml_start.min(text.len());
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        let this = text[offset..end].trim_end();
        if this == "---" || this == "..." {
            let yaml = &text[yaml_start..offset];
            let rest = if end < text.len() {
                &text[end + 1..]
            } else {
                ""
            };
            let mut body_line = line + 1;
            let mut body = rest;
            // Skip blank lines so the caption's position is its first line.
            while let Some(nl) = body.find('\n') {
                if body[..nl].trim().is_empty() {
                    body = &body[nl + 1..];
                    body_line += 1;
                } else {
                    break;
                }
            }
            return Ok(Some(Split {
                yaml,
                yaml_line_offset: 1,
                body: body.trim_end(),
                body_line,
            }));
        }
        offset = end + 1;
        line += 1;
    }
    Err(Unclosed { line: 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_yaml_and_body_with_lines() {
        let text = "---\na: 1\nb: 2\n---\n\n\nHello\nworld  \n\n";
        let s = split(text).unwrap().unwrap();
        assert_eq!(s.yaml, "a: 1\nb: 2\n");
        assert_eq!(s.yaml_line_offset, 1);
        assert_eq!(s.body, "Hello\nworld");
        assert_eq!(s.body_line, 7);
    }

    #[test]
    fn no_front_matter_is_not_a_post() {
        assert_eq!(split("# README\n---\n").unwrap(), None);
        assert_eq!(split("").unwrap(), None);
    }

    #[test]
    fn unclosed_front_matter() {
        assert_eq!(split("---\na: 1\n"), Err(Unclosed { line: 1 }));
        assert_eq!(split("---"), Err(Unclosed { line: 1 }));
    }

    #[test]
    fn empty_front_matter_and_body() {
        let s = split("---\n---\n").unwrap().unwrap();
        assert_eq!(s.yaml, "");
        assert_eq!(s.body, "");
        let s = split("---\n---").unwrap().unwrap();
        assert_eq!(s.body, "");
    }

    #[test]
    fn closing_with_dots_and_trailing_spaces() {
        let s = split("---  \na: 1\n...  \nbody").unwrap().unwrap();
        assert_eq!(s.yaml, "a: 1\n");
        assert_eq!(s.body, "body");
        assert_eq!(s.body_line, 4);
    }
}
