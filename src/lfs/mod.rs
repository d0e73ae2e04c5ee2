//! Git LFS in a content repo: where this checkout keeps LFS objects, what a
//! pointer's media file is when its object is here or not, which files
//! `.gitattributes` sends through LFS, and ([`pull`]) fetching the objects
//! of the posts apply is about to publish.
//!
//! A checkout without LFS objects (a pull request's plan job checks out
//! with `lfs: false` by default) still validates and plans: a pointer gives
//! the content's size and SHA-256, its name whether it is a video, and the
//! checks that need the bytes wait for apply, which fetches them.

pub mod pull;

use crate::media::lfs::Lfs;
use crate::media::{self, Format, MediaInfo};
use std::path::{Path, PathBuf};

/// The local LFS store of the git repository holding a content repo.
#[derive(Debug, Clone, Default)]
pub struct LocalStore {
    /// `<lfs dir>/objects`; `None` outside a git repository.
    objects: Option<PathBuf>,
}

impl LocalStore {
    /// The store git-lfs uses for the repository around `repo`: `lfs.storage`
    /// when set (relative to the git directory), else `lfs/` in the git
    /// directory — the common one, so every worktree shares the store.
    pub fn discover(repo: &Path) -> LocalStore {
        let Ok(git) = git2::Repository::discover(repo) else {
            return LocalStore::default();
        };
        let common = git.commondir().to_path_buf();
        let storage = git
            .config()
            .ok()
            .and_then(|c| c.get_path("lfs.storage").ok())
            .filter(|p| !p.as_os_str().is_empty());
        let lfs = match storage {
            Some(p) if p.is_absolute() => p,
            Some(p) => common.join(p),
            None => common.join("lfs"),
        };
        LocalStore {
            objects: Some(lfs.join("objects")),
        }
    }

    /// A store at `lfs_dir` (tests).
    pub fn at(lfs_dir: &Path) -> LocalStore {
        LocalStore {
            objects: Some(lfs_dir.join("objects")),
        }
    }

    /// Where the object `oid` would be (`objects/aa/bb/<oid>`). `oid` is a
    /// parsed pointer's: 64 hex digits, so it cannot leave the store.
    pub fn path_of(&self, oid: &str) -> Option<PathBuf> {
        let objects = self.objects.as_ref()?;
        let (a, b) = (oid.get(0..2)?, oid.get(2..4)?);
        Some(objects.join(a).join(b).join(oid))
    }

    /// The object of `oid` when the store has it: a regular file of the
    /// pointer's size (git-lfs checked its hash when it stored it; a file
    /// of another size is a broken download, not the object).
    pub fn object(&self, oid: &str, size: u64) -> Option<PathBuf> {
        let path = self.path_of(oid)?;
        let meta = std::fs::metadata(&path).ok()?;
        (meta.is_file() && meta.len() == size).then_some(path)
    }
}

/// A video by its name: what a pointer without its object is taken for.
pub fn video_by_name(rel: &str) -> bool {
    let ext = rel.rsplit_once('.').map_or("", |(_, e)| e);
    [
        "mp4", "mov", "m4v", "webm", "mkv", "avi", "3gp", "flv", "ts",
    ]
    .iter()
    .any(|v| ext.eq_ignore_ascii_case(v))
}

/// What a media file that is a pointer (`info.lfs` set) is: its object's
/// header when the store has it, else its name decides image or video.
/// Other files are returned as they are.
pub fn resolve(info: MediaInfo, rel: &str, store: &LocalStore) -> Result<MediaInfo, String> {
    let Some(lfs) = info.lfs else {
        return Ok(info);
    };
    match store.object(&lfs.pointer.oid, lfs.pointer.size) {
        Some(object) => {
            let found = media::inspect(&object).map_err(|e| {
                format!(
                    "its Git LFS object ({}) cannot be read: {e}",
                    object.display()
                )
            })?;
            Ok(MediaInfo {
                bytes: lfs.pointer.size,
                format: found.format,
                lfs: Some(Lfs {
                    pointer: lfs.pointer,
                    object: Some(object),
                }),
            })
        }
        None => Ok(MediaInfo {
            bytes: lfs.pointer.size,
            format: Format::LfsAbsent {
                video: video_by_name(rel),
            },
            lfs: Some(lfs),
        }),
    }
}

/// The file to read a media file's content from: its LFS object when the
/// work tree holds only the pointer, else the file itself.
pub fn content_path(repo_file: PathBuf, info: &MediaInfo) -> PathBuf {
    match info.lfs.as_ref().and_then(|l| l.object.clone()) {
        Some(object) => object,
        None => repo_file,
    }
}

/// What to do when a pointer's object is not here, for messages.
pub const FETCH_HELP: &str = "run `git lfs pull` to check it now; in GitHub Actions, `lfs: true` on actions/checkout fetches LFS objects";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::lfs::tests::{pointer_text, OID};

    fn pointer_info(size: u64) -> MediaInfo {
        let text = pointer_text(OID, size);
        media::inspect_reader(std::io::Cursor::new(text.as_bytes()), text.len() as u64).unwrap()
    }

    #[test]
    fn absent_object_is_judged_by_name_and_pointer() {
        let store = LocalStore::at(Path::new("/nonexistent/postwright/lfs"));
        let info = resolve(pointer_info(5_000_000), "media/Reel.MOV", &store).unwrap();
        assert_eq!(info.format, Format::LfsAbsent { video: true });
        assert!(info.format.is_video());
        assert_eq!(info.bytes, 5_000_000);
        let info = resolve(pointer_info(10), "media/a.jpg", &store).unwrap();
        assert_eq!(info.format, Format::LfsAbsent { video: false });
        assert_eq!(content_path("x".into(), &info), PathBuf::from("x"));
    }

    #[test]
    fn present_object_is_inspected_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/reel.mp4");
        let bytes = std::fs::read(&fixture).unwrap();
        let store = LocalStore::at(dir.path());
        let object = store.path_of(OID).unwrap();
        assert!(object.ends_with(format!("objects/4d/7a/{OID}")));
        std::fs::create_dir_all(object.parent().unwrap()).unwrap();
        std::fs::write(&object, &bytes).unwrap();
        let size = bytes.len() as u64;
        let info = resolve(pointer_info(size), "media/reel.mp4", &store).unwrap();
        assert!(matches!(info.format, Format::Video(_)), "{:?}", info.format);
        assert_eq!(info.bytes, size);
        assert_eq!(content_path("x".into(), &info), object);
        // An object of another size is a broken download: absent.
        let info = resolve(pointer_info(size + 1), "media/reel.mp4", &store).unwrap();
        assert_eq!(info.format, Format::LfsAbsent { video: true });
    }

    #[test]
    fn the_store_follows_worktrees_and_lfs_storage() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main");
        let repo = git2::Repository::init(&main).unwrap();
        let store = LocalStore::discover(&main);
        let got = store.path_of(OID).unwrap();
        assert!(
            got.to_string_lossy()
                .contains("main/.git/lfs/objects/4d/7a/"),
            "{got:?}"
        );
        repo.config()
            .unwrap()
            .set_str("lfs.storage", "elsewhere")
            .unwrap();
        let got = LocalStore::discover(&main).path_of(OID).unwrap();
        assert!(
            got.to_string_lossy()
                .contains(".git/elsewhere/objects/4d/7a/"),
            "{got:?}"
        );
        repo.config().unwrap().remove("lfs.storage").unwrap();
        // A linked worktree: the main repository's store, not one of its own.
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let tree = repo
            .find_tree(repo.index().unwrap().write_tree().unwrap())
            .unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "x", &tree, &[])
            .unwrap();
        let linked = dir.path().join("linked");
        repo.worktree("linked", &linked, None).unwrap();
        let got = LocalStore::discover(&linked).path_of(OID).unwrap();
        assert!(
            got.to_string_lossy().contains("main/.git/lfs/objects/"),
            "{got:?}"
        );
    }
}
