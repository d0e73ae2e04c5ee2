//! Checks of postwright.toml that serde cannot make: where a key is
//! written (for errors at its line), and settings that contradict each
//! other across tables.

use super::{Login, RawConfig, VideoUpload};
use crate::diagnostic::Pos;
use crate::platform::PlatformSpec;

/// `video_upload = "resumable"` with an Instagram Login account: that login
/// has no resumable upload host (docs/instagram.md), so the setting would be
/// ignored for it without a word. Where, what, and the fix.
pub(super) fn resumable_without_host(raw: &RawConfig, text: &str) -> Option<(Pos, String, String)> {
    if raw.media.video_upload != VideoUpload::Resumable {
        return None;
    }
    let logins: Vec<&str> = raw
        .accounts
        .iter()
        .filter(|(_, a)| {
            a.platform.name() == crate::platform::instagram::Spec.name()
                && a.login == Login::Instagram
        })
        .map(|(name, _)| name.as_str())
        .collect();
    let first = logins.first()?;
    let pos = find_key(text, "video_upload", "[media]").unwrap_or(Pos::START);
    Some((
        pos,
        format!(
            "video_upload = \"resumable\" needs Facebook Login, but account{} {} use{} Instagram Login (graph.instagram.com), which takes no uploaded bytes",
            if logins.len() == 1 { "" } else { "s" },
            logins.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
            if logins.len() == 1 { "s" } else { "" },
        ),
        format!(
            "remove video_upload (Meta then fetches videos from their URL, as for images), or give `{first}` a Facebook Login token (login = \"facebook\")"
        ),
    ))
}

/// The position of `key` inside the table with `header` (`[media]`,
/// `[accounts.brand]`), for errors serde cannot place. Not past the
/// table's end: the next header.
pub(super) fn find_key(text: &str, key: &str, header: &str) -> Option<Pos> {
    // The header on a line of its own, not a mention of it in a comment.
    let start = text.match_indices(header).map(|(i, _)| i).find(|&i| {
        let before = text[..i].trim_end_matches([' ', '\t']);
        before.is_empty() || before.ends_with('\n')
    })?;
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
            return Some(crate::diagnostic::offset_to_pos(text, at + indent));
        }
    }
    None
}
