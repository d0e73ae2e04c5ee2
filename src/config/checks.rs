//! Where a key of postwright.toml is written, for the errors serde cannot
//! place (the accounts' checks, [`super::accounts`], and the platforms'
//! own, [`crate::platform::PlatformSpec::check_config`]).

use crate::diagnostic::Pos;

/// The position of `key` inside the table with `header` (`[media]`,
/// `[accounts.brand]`), for errors serde cannot place. Not past the
/// table's end: the next header.
pub(crate) fn find_key(text: &str, key: &str, header: &str) -> Option<Pos> {
    find_key_at(text, key, header).map(|at| crate::diagnostic::offset_to_pos(text, at))
}

/// Where the table `header` starts: the header on a line of its own, not a
/// mention of it in a comment.
pub(super) fn find_header(text: &str, header: &str) -> Option<usize> {
    text.match_indices(header).map(|(i, _)| i).find(|&i| {
        let before = text[..i].trim_end_matches([' ', '\t']);
        before.is_empty() || before.ends_with('\n')
    })
}

/// [`find_key`] as a byte offset.
pub(super) fn find_key_at(text: &str, key: &str, header: &str) -> Option<usize> {
    let start = find_header(text, header)?;
    let lines = text[start..].split_inclusive('\n').scan(start, |at, line| {
        let here = *at;
        *at += line.len();
        Some((here, line))
    });
    for (at, line) in lines.skip(1) {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            return None;
        }
        let rest = trimmed.strip_prefix(key).unwrap_or("");
        if rest.trim_start().starts_with('=') {
            let indent = line.len() - trimmed.len();
            return Some(at + indent);
        }
    }
    None
}
