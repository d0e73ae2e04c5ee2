//! The live accounts as last read (`plan --refresh`, `status --refresh`,
//! `import`): one snapshot per account in `.postwright/live/<account>.json`,
//! for the preview's grid (the profile as it will look: the upcoming posts
//! on top of the live ones) without a credential or a call.
//!
//! A snapshot holds no URL with a signature or a token: a thumbnail is
//! stored beside it by its content hash (`thumbs/<sha256>.jpg`), never by
//! the CDN address it came from (Meta's are signed and expire). In the
//! Action, the folder is cached like the preview's thumbnails.

use crate::content::PostType;
use crate::platform::LiveMedia;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use std::path::{Path, PathBuf};

/// The snapshot format this postwright writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// One account's live posts, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub format_version: u32,
    pub account: String,
    /// When the account was read.
    pub read_at: Timestamp,
    pub posts: Vec<LivePost>,
}

/// A live post, as the grid needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivePost {
    pub media_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
    /// The caption's first line.
    #[serde(default)]
    pub caption: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PostType>,
    /// `thumbs/<sha256>.jpg` beside the snapshot, when one was fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb: Option<String>,
    /// Pinned to the top of the profile, where the platform says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
}

/// The folder of the snapshots.
pub fn dir(repo: &Path) -> PathBuf {
    repo.join(".postwright").join("live")
}

fn file(repo: &Path, account: &str) -> PathBuf {
    // Account names are TOML keys: made path-safe all the same.
    let safe: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir(repo).join(format!("{safe}.json"))
}

impl Snapshot {
    /// A snapshot of `live` (newest first as listed), read at `read_at`.
    pub fn of(account: &str, live: &[LiveMedia], read_at: Timestamp) -> Snapshot {
        Snapshot {
            format_version: FORMAT_VERSION,
            account: account.to_string(),
            read_at,
            posts: live
                .iter()
                .map(|m| LivePost {
                    media_id: m.id.clone(),
                    published: m.published,
                    permalink: m.permalink.as_deref().map(without_query),
                    caption: first_line(m.caption.as_deref()),
                    kind: m.kinds.first().copied(),
                    thumb: None,
                    pinned: false,
                })
                .collect(),
        }
    }

    /// A snapshot of a feed read page by page (newest first).
    pub fn of_feed(
        account: &str,
        posts: &[crate::platform::LivePost],
        read_at: Timestamp,
    ) -> Snapshot {
        Snapshot {
            format_version: FORMAT_VERSION,
            account: account.to_string(),
            read_at,
            posts: posts
                .iter()
                .map(|p| LivePost {
                    media_id: p.id.clone(),
                    published: p.published,
                    permalink: p.permalink.as_deref().map(without_query),
                    caption: first_line(p.caption.as_deref()),
                    kind: p.kind,
                    thumb: None,
                    pinned: p.pinned.unwrap_or(false),
                })
                .collect(),
        }
    }

    /// Fetches the pictures of the newest `n` posts of `feed` (an image's
    /// own, a video's cover) into `thumbs/<sha256>.<ext>` and names them
    /// in the snapshot; one that cannot be fetched is left without (the
    /// grid shows its caption). The signed URLs are only sent.
    pub async fn fetch_thumbs(
        &mut self,
        repo: &Path,
        feed: &[crate::platform::LivePost],
        n: usize,
    ) -> usize {
        let http = crate::import::download::client();
        let thumbs = dir(repo).join("thumbs");
        let limits = crate::import::download::Limits {
            max_bytes: 16 << 20,
            timeout: std::time::Duration::from_secs(30),
        };
        let mut fetched = 0;
        for (post, live) in self.posts.iter_mut().zip(feed).take(n) {
            let Some(first) = live.items.first() else {
                continue;
            };
            let url = if first.video {
                first.thumbnail.as_deref()
            } else {
                first.url.as_deref()
            };
            let Some(url) = url else { continue };
            let stem = format!(".incoming-{}", fetched);
            let Ok(name) =
                crate::import::download::download(&http, url, &thumbs, &stem, false, limits).await
            else {
                continue;
            };
            let path = thumbs.join(&name);
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let ext = name.rsplit('.').next().unwrap_or("jpg");
            let sha = crate::hex::hex(&sha2::Sha256::digest(&bytes));
            let final_name = format!("{sha}.{ext}");
            if std::fs::rename(&path, thumbs.join(&final_name)).is_ok() {
                post.thumb = Some(format!("thumbs/{final_name}"));
                fetched += 1;
            }
        }
        fetched
    }

    /// Writes it (beside a temporary file, then renamed: a reader never
    /// sees half a snapshot).
    /// A snapshot whose posts are as already written is not written again
    /// (a second import changes no file).
    pub fn save(&self, repo: &Path) -> std::io::Result<()> {
        let path = file(repo, &self.account);
        let same = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Snapshot>(&t).ok())
            .is_some_and(|old| old.posts == self.posts);
        if same {
            return Ok(());
        }
        std::fs::create_dir_all(dir(repo))?;
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, text + "\n")?;
        std::fs::rename(&partial, &path)
    }

    /// The account's snapshot, if one was written; one that cannot be read
    /// is said and ignored (it is a cache: the next refresh rewrites it).
    pub fn load(repo: &Path, account: &str) -> Option<Snapshot> {
        let path = file(repo, account);
        let text = std::fs::read_to_string(&path).ok()?;
        match serde_json::from_str::<Snapshot>(&text) {
            Ok(s) if s.format_version <= FORMAT_VERSION => Some(s),
            Ok(s) => {
                eprintln!(
                    "note: {} has format_version {}, newer than this postwright reads; ignored",
                    path.display(),
                    s.format_version
                );
                None
            }
            Err(e) => {
                eprintln!(
                    "note: {} cannot be read ({e}); ignored until the next refresh",
                    path.display()
                );
                None
            }
        }
    }
}

/// A permalink without its query: whatever a platform appends there
/// (tracking, signatures) stays out of the file.
fn without_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

fn first_line(caption: Option<&str>) -> String {
    crate::plan::drift::first_line_of(caption, 120)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_round_trips_without_queries_and_a_bad_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let live = [LiveMedia {
            id: "17".into(),
            caption: Some("\nFirst line\nsecond".into()),
            permalink: Some("https://www.instagram.com/p/X/?igsh=abc&oe=123".into()),
            timestamp: None,
            published: "2026-12-01T09:00:00Z".parse().ok(),
            comments_enabled: None,
            kinds: vec![PostType::Image],
            items: Some(1),
        }];
        let s = Snapshot::of("kiln/../x", &live, "2026-12-02T00:00:00Z".parse().unwrap());
        s.save(dir.path()).unwrap();
        let path = super::dir(dir.path()).join("kiln____x.json");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("oe=123") && !text.contains('?'), "{text}");
        let back = Snapshot::load(dir.path(), "kiln/../x").unwrap();
        assert_eq!(back.posts[0].caption, "First line");
        assert_eq!(
            back.posts[0].permalink.as_deref(),
            Some("https://www.instagram.com/p/X/")
        );
        std::fs::write(&path, "{").unwrap();
        assert_eq!(Snapshot::load(dir.path(), "kiln/../x"), None);
    }
}
