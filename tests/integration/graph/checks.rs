//! Content checks as Meta applies them: captions, tags, collaborators, and
//! what the fetched bytes are (JPEG size and orientation, MP4 duration).

use super::errors::{meta, param, Res};
use serde_json::Value;

pub(super) const MAX_IMAGE: usize = 8 * 1024 * 1024;

/// ≤ 2200 characters, ≤ 30 hashtags, ≤ 20 @-mentions.
pub(super) fn caption(text: &str) -> Res<()> {
    let n = text.chars().count();
    if n > 2200 {
        return Err(meta(36004, "The caption is too long.")
            .sub(2207010)
            .user(
                "Caption too long",
                format!("The caption has {n} characters; the maximum is 2,200."),
            )
            .out());
    }
    let tags = marked(text, '#');
    if tags > 30 {
        return Err(
            meta(100, "(#100) The caption contains more than 30 hashtags.")
                .user(
                    "Too many hashtags",
                    format!("The caption has {tags} hashtags; at most 30 are allowed."),
                )
                .out(),
        );
    }
    let mentions = marked(text, '@');
    if mentions > 20 {
        return Err(meta(100, "Cannot use more than 20 tags per created media.")
            .sub(2207040)
            .user(
                "Too many tags",
                format!("The caption mentions {mentions} accounts; at most 20 are allowed."),
            )
            .out());
    }
    Ok(())
}

/// Words starting with `mark` that are not inside a word (so an e-mail
/// address is not a mention).
fn marked(text: &str, mark: char) -> usize {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len())
        .filter(|&i| {
            chars[i] == mark
                && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
                && chars
                    .get(i + 1)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        })
        .count()
}

/// Where a kind of container wants the x and y of its user tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Positions {
    /// Images: both, in 0.0–1.0.
    Required,
    /// Stories (image and video, since 2025-07-09): either, in 0.0–1.0
    /// when given.
    Optional,
    /// Reels: usernames only.
    Refused,
}

/// `user_tags`: a JSON array of `{"username", "x", "y"}`; images need x and
/// y in 0.0–1.0, stories may place them, reels take usernames only.
pub(super) fn user_tags(v: &str, positions: Positions) -> Res<()> {
    let Ok(Value::Array(tags)) = serde_json::from_str::<Value>(v) else {
        return Err(param("user_tags", "must be a JSON-encoded array"));
    };
    if tags.len() > 20 {
        return Err(meta(100, "Cannot use more than 20 tags per created media.")
            .sub(2207040)
            .user("Too many tags", "At most 20 accounts can be tagged.")
            .out());
    }
    for t in &tags {
        let Some(obj) = t.as_object() else {
            return Err(param("user_tags", "must hold objects"));
        };
        match obj.get("username").and_then(Value::as_str) {
            Some(u) if !u.is_empty() && !u.starts_with('@') => {}
            _ => {
                return Err(param(
                    "user_tags",
                    "needs a username (without @) in every tag",
                ))
            }
        }
        for k in obj.keys() {
            if !matches!(k.as_str(), "username" | "x" | "y") {
                return Err(param("user_tags", &format!("has an unknown key {k}")));
            }
        }
        for k in ["x", "y"] {
            match (positions, obj.get(k)) {
                (Positions::Required, None) => {
                    return Err(param("user_tags", &format!("needs {k} for tags on images")))
                }
                (Positions::Optional, None) => {}
                (Positions::Required | Positions::Optional, Some(p)) => match p.as_f64() {
                    Some(p) if (0.0..=1.0).contains(&p) => {}
                    _ => {
                        return Err(param(
                            "user_tags",
                            &format!("{k} must be a number between 0.0 and 1.0"),
                        ))
                    }
                },
                (Positions::Refused, Some(_)) => {
                    return Err(param(
                        "user_tags",
                        "takes usernames only on reels (no x, y)",
                    ))
                }
                (Positions::Refused, None) => {}
            }
        }
    }
    Ok(())
}

/// `collaborators`: a JSON array of at most 3 usernames without `@`.
pub(super) fn collaborators(v: &str) -> Res<()> {
    let Ok(list) = serde_json::from_str::<Vec<String>>(v) else {
        return Err(param(
            "collaborators",
            "must be a JSON-encoded array of usernames",
        ));
    };
    if list.len() > 3 {
        return Err(param("collaborators", "takes at most 3 usernames"));
    }
    if list.iter().any(|u| u.is_empty() || u.starts_with('@')) {
        return Err(param(
            "collaborators",
            "must hold usernames without a leading @",
        ));
    }
    Ok(())
}

pub(super) fn boolean(name: &str, v: &str) -> Res<bool> {
    match v {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(param(name, "must be a boolean")),
    }
}

/// What a JPEG is, as far as Meta's checks go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Jpeg {
    /// Displayed size (after EXIF orientation).
    pub width: u32,
    pub height: u32,
    /// Multi-picture (MPO) files are refused.
    pub mpo: bool,
}

/// Parses a JPEG's markers; `None` when it is not a JPEG.
pub(super) fn jpeg(b: &[u8]) -> Option<Jpeg> {
    if b.len() < 4 || b[0..3] != [0xFF, 0xD8, 0xFF] {
        return None;
    }
    let mut i = 2;
    let mut orientation = 1u16;
    let mut mpo = false;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            break;
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        let seg = b.get(i + 4..i + 2 + len)?;
        match marker {
            0xE1 if seg.starts_with(b"Exif\0\0") => {
                orientation = exif_orientation(&seg[6..]).unwrap_or(1);
            }
            0xE2 if seg.starts_with(b"MPF\0") => mpo = true,
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF if seg.len() >= 5 => {
                let h = u16::from_be_bytes([seg[1], seg[2]]) as u32;
                let w = u16::from_be_bytes([seg[3], seg[4]]) as u32;
                let (width, height) = if (5..=8).contains(&orientation) {
                    (h, w)
                } else {
                    (w, h)
                };
                return Some(Jpeg { width, height, mpo });
            }
            _ => {}
        }
        i += 2 + len;
    }
    // A JPEG without a frame header: size unknown.
    Some(Jpeg {
        width: 0,
        height: 0,
        mpo,
    })
}

fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let le = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let s = tiff.get(o..o + 2)?;
        Some(if le {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let s = tiff.get(o..o + 4)?;
        Some(if le {
            u32::from_le_bytes([s[0], s[1], s[2], s[3]])
        } else {
            u32::from_be_bytes([s[0], s[1], s[2], s[3]])
        })
    };
    let ifd = u32_at(4)? as usize;
    let n = u16_at(ifd)? as usize;
    (0..n)
        .map(|k| ifd + 2 + k * 12)
        .find(|&e| u16_at(e) == Some(0x0112))
        .and_then(|e| u16_at(e + 8))
}

/// What an MP4/MOV is: `None` when it is not a whole ISO media file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Video {
    /// Seconds, when the `mvhd` box says.
    pub duration: Option<f64>,
}

pub(super) fn video(b: &[u8]) -> Option<Video> {
    if b.len() < 12 || &b[4..8] != b"ftyp" {
        return None;
    }
    let mut duration = None;
    let mut i = 0usize;
    while i + 8 <= b.len() {
        let size = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let kind = &b[i + 4..i + 8];
        let size = match size {
            0 => b.len() - i,
            // 64-bit size after the type.
            1 => b.get(i + 8..i + 16).map_or(0, |s| {
                u64::from_be_bytes(s.try_into().unwrap_or([0; 8])) as usize
            }),
            n => n,
        };
        if size < 8 || i + size > b.len() {
            // A box running past the end: the file is cut short.
            return None;
        }
        if kind == b"moov" {
            duration = mvhd(b.get(i + 8..(i + size).min(b.len()))?);
        }
        i += size;
    }
    Some(Video { duration })
}

fn mvhd(moov: &[u8]) -> Option<f64> {
    let mut i = 0usize;
    while i + 8 <= moov.len() {
        let size = u32::from_be_bytes([moov[i], moov[i + 1], moov[i + 2], moov[i + 3]]) as usize;
        if size < 8 {
            return None;
        }
        if &moov[i + 4..i + 8] == b"mvhd" {
            let m = moov.get(i + 8..(i + size).min(moov.len()))?;
            let be32 = |o: usize| -> Option<u64> {
                let s = m.get(o..o + 4)?;
                Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as u64)
            };
            let be64 = |o: usize| -> Option<u64> {
                let s = m.get(o..o + 8)?;
                Some(u64::from_be_bytes([
                    s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
                ]))
            };
            let (scale, dur) = if m.first()? == &1 {
                (be32(20)?, be64(24)?)
            } else {
                (be32(12)?, be32(16)?)
            };
            return (scale > 0).then(|| dur as f64 / scale as f64);
        }
        i += size;
    }
    None
}

/// The names in a `fields` parameter, at the top level
/// (`children{id,media_type}` and `comments.limit(5)` give `children`,
/// `comments`).
pub(super) fn field_names(fields: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in fields.chars() {
        match c {
            '{' | '(' => {
                depth += 1;
            }
            '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ if depth == 0 => cur.push(c),
            _ => {}
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|f| f.split('.').next().unwrap_or("").trim().to_string())
        .filter(|f| !f.is_empty())
        .collect()
}
