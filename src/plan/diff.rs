//! What changed in a post, field by field, like Terraform's `~` lines: the
//! caption as a word diff, media items added, removed or replaced, the type,
//! `publish_at`, and any other field before → after. The old version is the
//! file as it was in the commit the post was published from (a `changed`
//! post) or in a pull request's base.

use crate::content::{MediaEntry, Post, PostFields};
use serde::Serialize;

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The field's name in the post file (`caption`, `media`, `media[2]`…).
    pub field: String,
    /// For people: `before → after`, or the caption's word diff with
    /// `[-removed-]` and `{+added+}` marks.
    pub diff: String,
}

/// Longest captions are 2,200 characters; past this many words a word diff
/// is shown as before → after instead (the LCS table stays small).
const MAX_WORDS: usize = 1_000;

/// `Meet the [-Harbour-] {+Coast+} mug.`: the words of `after` with what
/// `before` had instead, as `git diff --word-diff=plain` marks them.
pub fn words(before: &str, after: &str) -> String {
    let a: Vec<&str> = before.split_whitespace().collect();
    let b: Vec<&str> = after.split_whitespace().collect();
    if a.len() > MAX_WORDS || b.len() > MAX_WORDS {
        return format!("{before:?} → {after:?}");
    }
    // lcs[i][j]: the common words of a[i..] and b[j..].
    let mut lcs = vec![vec![0u16; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out: Vec<String> = Vec::new();
    let mut removed: Vec<&str> = Vec::new();
    let mut added: Vec<&str> = Vec::new();
    let flush = |out: &mut Vec<String>, removed: &mut Vec<&str>, added: &mut Vec<&str>| {
        if !removed.is_empty() {
            out.push(format!("[-{}-]", removed.join(" ")));
            removed.clear();
        }
        if !added.is_empty() {
            out.push(format!("{{+{}+}}", added.join(" ")));
            added.clear();
        }
    };
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            flush(&mut out, &mut removed, &mut added);
            out.push(a[i].to_string());
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push(b[j]);
            j += 1;
        } else {
            removed.push(a[i]);
            i += 1;
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out.join(" ")
}

fn src(m: &MediaEntry) -> &str {
    m.src()
}

/// The changes from `old` to `new`. `same_bytes(path)` says whether a media
/// file kept under the same name still has the same bytes (`None`: unknown).
pub fn changes(old: &Post, new: &Post, same_bytes: impl Fn(&str) -> Option<bool>) -> Vec<Change> {
    let mut out = Vec::new();
    let (o, n) = (&old.fields, &new.fields);
    let caption = |f: &PostFields| f.caption.clone().unwrap_or_default();
    if caption(o) != caption(n) {
        out.push(Change {
            field: "caption".into(),
            diff: words(&caption(o), &caption(n)),
        });
    }
    let old_media: Vec<&str> = o.media.iter().map(src).collect();
    let new_media: Vec<&str> = n.media.iter().map(src).collect();
    for (i, m) in new_media.iter().enumerate() {
        match old_media.get(i) {
            Some(before) if before == m => {
                if same_bytes(m) == Some(false) {
                    out.push(Change {
                        field: format!("media[{}]", i + 1),
                        diff: format!("{m}: the file was replaced (new bytes, same name)"),
                    });
                }
                // Its alt text and tags.
                let item = |e: &MediaEntry| serde_json::to_value(e).unwrap_or_default();
                let (b, a) = (item(&o.media[i]), item(&n.media[i]));
                fields_of(&b, &a, &format!("media[{}].", i + 1), &["src"], &mut out);
            }
            Some(before) => out.push(Change {
                field: format!("media[{}]", i + 1),
                diff: format!("{before} → {m}"),
            }),
            None => out.push(Change {
                field: format!("media[{}]", i + 1),
                diff: format!("added {m}"),
            }),
        }
    }
    for (i, m) in old_media.iter().enumerate().skip(new_media.len()) {
        out.push(Change {
            field: format!("media[{}]", i + 1),
            diff: format!("removed {m}"),
        });
    }
    // Every other field, compared as the post file writes it.
    let value = |f: &PostFields| serde_json::to_value(f).unwrap_or_default();
    fields_of(&value(o), &value(n), "", &["caption", "media"], &mut out);
    out
}

/// `before → after` for each key of two JSON objects that differs (a plain
/// path or URL is an object without keys here).
fn fields_of(
    before: &serde_json::Value,
    after: &serde_json::Value,
    prefix: &str,
    skip: &[&str],
    out: &mut Vec<Change>,
) {
    let keys: std::collections::BTreeSet<&String> = before
        .as_object()
        .into_iter()
        .chain(after.as_object())
        .flat_map(|m| m.keys())
        .filter(|k| !skip.contains(&k.as_str()))
        .collect();
    let show = |v: &serde_json::Value| {
        if v.is_null() {
            "(none)".to_string()
        } else {
            v.to_string()
        }
    };
    for k in keys {
        let (b, a) = (&before[k.as_str()], &after[k.as_str()]);
        if b != a {
            out.push(Change {
                field: format!("{prefix}{k}"),
                diff: format!("{} → {}", show(b), show(a)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_diff_marks_what_went_and_what_came() {
        assert_eq!(
            words("Meet the Harbour mug.", "Meet the Coast mug, in blue."),
            "Meet the [-Harbour mug.-] {+Coast mug, in blue.+}"
        );
        assert_eq!(words("a b c", "a b c"), "a b c");
        assert_eq!(words("", "new words"), "{+new words+}");
        assert_eq!(words("old words", ""), "[-old words-]");
        assert_eq!(words("a x c", "a y c"), "a [-x-] {+y+} c");
    }

    #[test]
    fn a_huge_caption_is_shown_whole_not_diffed() {
        let long = "w ".repeat(MAX_WORDS + 1);
        assert!(words(&long, "short").contains('→'));
    }
}
