//! "Did you mean": the existing name closest to one that does not exist.

use crate::validate::schema::closest;
use std::path::Path;

/// Most entries of one folder compared with a missing file name: a media
/// folder holds hundreds, and a huge one must not slow validation down.
const MAX_ENTRIES: usize = 10_000;

/// A media path that exists, for one that does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaGuess {
    /// The path as the post would write it (`src` with the name fixed).
    pub write: String,
    /// The existing file, relative to the repo root.
    pub rel: String,
}

/// The file a missing media path most likely meant: a file in the same
/// folder whose name differs only in case or by a typo, or, for a path
/// written relative to the post, the same path from the repo root. `rel`
/// is `src` resolved (repo-relative, inside the repo). Only folders inside
/// the repository are listed.
pub fn media_path(repo: &Path, repo_canonical: &Path, src: &str, rel: &str) -> Option<MediaGuess> {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    if let Some(found) = similar_name(repo, repo_canonical, dir, name) {
        let write = match src.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{found}"),
            None => found.clone(),
        };
        let rel = if dir.is_empty() {
            found
        } else {
            format!("{dir}/{found}")
        };
        return Some(MediaGuess { write, rel });
    }
    // `media/x.jpg` written in `posts/a.md` means `posts/media/x.jpg`; the
    // author usually meant the repo's `media/x.jpg`.
    if !src.starts_with('/') {
        let from_root = crate::content::resolve_media_path("post", src)?;
        if from_root != rel && is_file_inside(repo, repo_canonical, &from_root) {
            return Some(MediaGuess {
                write: format!("/{from_root}"),
                rel: from_root,
            });
        }
    }
    None
}

/// The name in `repo/dir` equal to `name` but for case, else the closest.
fn similar_name(repo: &Path, repo_canonical: &Path, dir: &str, name: &str) -> Option<String> {
    let folder = repo.join(dir).canonicalize().ok()?;
    if !folder.starts_with(repo_canonical) {
        return None;
    }
    let names: Vec<String> = std::fs::read_dir(&folder)
        .ok()?
        .flatten()
        .take(MAX_ENTRIES)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && n != name)
        .collect();
    if let Some(same) = names.iter().find(|n| n.eq_ignore_ascii_case(name)) {
        return Some(same.clone());
    }
    closest(name, &names).map(str::to_string)
}

fn is_file_inside(repo: &Path, repo_canonical: &Path, rel: &str) -> bool {
    repo.join(rel)
        .canonicalize()
        .is_ok_and(|p| p.starts_with(repo_canonical) && p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_typos_case_and_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        std::fs::create_dir_all(repo.join("media")).unwrap();
        std::fs::create_dir_all(repo.join("posts")).unwrap();
        std::fs::write(repo.join("media/mug-desk.jpg"), b"x").unwrap();
        std::fs::write(repo.join("media/Mug-Top.jpg"), b"x").unwrap();
        let canonical = repo.canonicalize().unwrap();
        let guess = |src: &str| {
            let rel = crate::content::resolve_media_path("posts/a.md", src).unwrap();
            media_path(repo, &canonical, src, &rel).map(|g| (g.write, g.rel))
        };
        assert_eq!(
            guess("../media/mug-dsk.jpg"),
            Some(("../media/mug-desk.jpg".into(), "media/mug-desk.jpg".into()))
        );
        assert_eq!(
            guess("../media/mug-top.jpg"),
            Some(("../media/Mug-Top.jpg".into(), "media/Mug-Top.jpg".into()))
        );
        assert_eq!(
            guess("media/mug-desk.jpg"),
            Some(("/media/mug-desk.jpg".into(), "media/mug-desk.jpg".into()))
        );
        assert_eq!(guess("../media/teapot.jpg"), None);
    }
}
