//! A live post written as a post file in the repo's own format (YAML), and
//! read back before it counts as written.
//!
//! A caption is whatever people typed into the app: `#` hashtags, `: `,
//! `---` lines, a leading `@` or `-`, quotes, emoji, trailing blank lines.
//! It goes in a literal block scalar (`|`), which takes every one of those
//! as text, with the chomping indicator that keeps its line ends exactly;
//! a caption a block scalar cannot hold (leading spaces, control
//! characters) goes double-quoted with escapes. Either way the file is
//! parsed back with the loader every command uses and the caption compared:
//! what `plan` hashes is what Instagram shows.

use crate::content::{self, Load, Post, PostType, Syntax};
use jiff::Timestamp;

/// One media item of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Repo path (`/media/imported/…`) or an unsigned URL.
    pub src: String,
    pub alt_text: Option<String>,
    /// Why the file at `src` is missing (a YAML comment above the item).
    pub missing: Option<String>,
}

/// What a file holds.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub account: &'a str,
    /// The platform's name for people (`Instagram`).
    pub platform: &'a str,
    pub media_id: &'a str,
    pub kind: PostType,
    pub caption: Option<&'a str>,
    pub published: Option<Timestamp>,
    pub permalink: Option<&'a str>,
    pub comments_enabled: Option<bool>,
    pub collaborators: &'a [String],
    pub items: Vec<Item>,
}

/// The file's text.
pub fn render(d: &Draft<'_>) -> String {
    let mut s = format!(
        "# Imported by `postwright import` from {} media {} of account {}.\n",
        d.platform, d.media_id, d.account
    );
    if let Some(p) = d.permalink.filter(|p| crate::import::download::linkable(p)) {
        s.push_str(&format!("# Live at {p}\n"));
    }
    s.push_str(&format!("account: {}\n", quoted(d.account)));
    s.push_str(&format!("type: {}\n", d.kind));
    if let Some(at) = d.published {
        s.push_str(&format!("publish_at: {}\n", rfc3339(at)));
    }
    if !d.items.is_empty() {
        s.push_str("media:\n");
        for item in &d.items {
            if let Some(why) = &item.missing {
                for line in why.lines() {
                    s.push_str(&format!("  # {line}\n"));
                }
            }
            s.push_str(&format!("  - src: {}\n", quoted(&item.src)));
            if let Some(alt) = &item.alt_text {
                s.push_str(&format!("    alt_text: {}\n", quoted(alt)));
            }
        }
    }
    if !d.collaborators.is_empty() {
        let names: Vec<String> = d.collaborators.iter().map(|c| quoted(c)).collect();
        s.push_str(&format!("collaborators: [{}]\n", names.join(", ")));
    }
    if d.comments_enabled == Some(false) {
        s.push_str("comments: false\n");
    }
    if let Some(caption) = d.caption.filter(|c| !c.is_empty()) {
        s.push_str(&caption_field(caption, true));
    }
    s
}

/// `2026-12-01T08:00:00+00:00`: RFC 3339 with its offset, as the platform
/// gives the time (UTC).
pub fn rfc3339(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// `caption:` with the caption as a literal block scalar when `block` and
/// it can be one, else double-quoted.
pub fn caption_field(caption: &str, block: bool) -> String {
    if block && block_safe(caption) {
        let body = caption.trim_end_matches('\n');
        let trailing = caption.len() - body.len();
        let chomp = match trailing {
            0 => "-",
            1 => "",
            _ => "+",
        };
        let mut s = format!("caption: |{chomp}\n");
        for line in body.split('\n') {
            if line.is_empty() {
                s.push('\n');
            } else {
                s.push_str("  ");
                s.push_str(line);
                s.push('\n');
            }
        }
        // Kept (`+`) line ends beyond the last one.
        for _ in 1..trailing {
            s.push('\n');
        }
        s
    } else {
        format!("caption: {}\n", quoted(caption))
    }
}

/// A caption a literal block scalar holds as it is: it starts with text
/// (leading spaces or line breaks would set or confuse the indentation),
/// has no carriage returns or characters YAML cannot print, and no line
/// of only spaces (taken as indentation, not text).
fn block_safe(caption: &str) -> bool {
    let first_ok = caption
        .chars()
        .next()
        .is_some_and(|c| !c.is_whitespace() && c != '\u{FEFF}');
    first_ok
        && !caption
            .chars()
            .any(|c| needs_escape(c) && c != '\n' && c != '\t')
        && !caption
            .split('\n')
            .any(|l| !l.is_empty() && l.trim_matches([' ', '\t']).is_empty())
        && !caption.split('\n').any(|l| l.ends_with([' ', '\t']))
}

/// Characters a YAML double-quoted scalar must escape (and a block scalar
/// cannot hold): controls, DEL, the C1 range but NEL, and the BOM.
fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{FEFF}' || c == '\u{2028}' || c == '\u{2029}'
}

/// `s` as a YAML double-quoted scalar.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses `text` as the post file `rel` would be read: its caption, or why
/// it does not read back.
pub fn read_back(rel: &str, content: &[String], text: &str) -> Result<Post, String> {
    let file = content::named_file(rel, content);
    match content::load_bytes(file, Syntax::Yaml, text.as_bytes()) {
        Load::Post(loaded) => {
            Post::from_loaded(*loaded).ok_or_else(|| "its fields do not read as a post".into())
        }
        Load::Broken(p) => Err(p.message),
        Load::NotAPost(_) => Err("it does not read as a post".into()),
    }
}

/// The file's text, checked: it parses back to the same caption; when the
/// block scalar does not (a case [`block_safe`] missed), the caption is
/// double-quoted instead and checked again.
pub fn checked(rel: &str, content: &[String], d: &Draft<'_>) -> Result<String, String> {
    let text = render(d);
    let want = d.caption.filter(|c| !c.is_empty());
    let same = |text: &str| -> Result<bool, String> {
        let post = read_back(rel, content, text)?;
        Ok(post.fields.caption.as_deref() == want)
    };
    if same(&text)? {
        return Ok(text);
    }
    let Some(caption) = want else {
        return Err("the caption does not read back".into());
    };
    let block = caption_field(caption, true);
    let text = text.replacen(&block, &caption_field(caption, false), 1);
    if same(&text)? {
        Ok(text)
    } else {
        Err("the caption does not read back as it is live".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(caption: &str) -> Draft<'_> {
        Draft {
            account: "brand",
            platform: "Instagram",
            media_id: "17900000000000001",
            kind: PostType::Image,
            caption: Some(caption),
            published: "2026-12-01T08:00:00Z".parse().ok(),
            permalink: Some("https://www.instagram.com/p/ABC/"),
            comments_enabled: Some(false),
            collaborators: &[],
            items: vec![Item {
                src: "/media/imported/brand/1-1.jpg".into(),
                alt_text: Some("a \"mug\": blue # speckled".into()),
                missing: None,
            }],
        }
    }

    const HARD: &[&str] = &[
        "plain",
        "#ceramics #handmade",
        "key: value\n---\n@kilnandco says hi",
        "@mention first",
        "- a list?\n- no, text",
        "trailing newline\n",
        "two trailing\n\n\n",
        "  leading spaces",
        "\nleading newline",
        "tab\tinside and \"quotes\" and 'single'",
        "emoji ☕️ and ü and \u{200B}zero width",
        "control \u{7} bell and \r\n crlf",
        "line with trailing space \nnext",
        "blank\n\n\nlines inside",
        "   \n",
        "|\n>\n&anchor *alias !tag %directive",
        "... end of document\n---",
    ];

    #[test]
    fn yaml_significant_captions_read_back_as_they_are_live() {
        let content = vec!["posts".to_string()];
        for caption in HARD {
            let d = draft(caption);
            let text = checked("posts/imported/brand/x.yaml", &content, &d)
                .unwrap_or_else(|e| panic!("{caption:?}: {e}"));
            let post = read_back("posts/imported/brand/x.yaml", &content, &text).unwrap();
            assert_eq!(post.fields.caption.as_deref(), Some(*caption), "{text}");
            assert_eq!(post.fields.comments, Some(false));
            assert_eq!(
                post.fields.media[0].alt_text(),
                d.items[0].alt_text.as_deref()
            );
        }
    }

    #[test]
    fn the_time_has_its_offset_and_the_caption_a_block_when_it_can() {
        let text = render(&draft("#one: two\n---"));
        assert!(
            text.contains("publish_at: 2026-12-01T08:00:00+00:00\n"),
            "{text}"
        );
        assert!(text.contains("caption: |-\n  #one: two\n  ---\n"), "{text}");
        let quoted = render(&draft("  indented"));
        assert!(quoted.contains("caption: \"  indented\"\n"), "{quoted}");
    }
}
