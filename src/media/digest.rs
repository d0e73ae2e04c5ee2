//! The SHA-256 of media files, each read and hashed once a run.
//!
//! `plan` hashes every media file for the content hash; `preview` names
//! each thumbnail by the same hash. Without this memo a warm preview read
//! and hashed every photo a second time only to find its thumbnail's name.
//! A remembered hash is used only while the file's size and modification
//! time are those it had when it was read, so a file changed in between
//! is hashed again.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

/// A file's SHA-256 and what its metadata said when it was read.
#[derive(Clone, Copy)]
struct Known {
    len: u64,
    modified: Option<SystemTime>,
    sha256: [u8; 32],
}

fn memo() -> &'static Mutex<HashMap<PathBuf, Known>> {
    static MEMO: OnceLock<Mutex<HashMap<PathBuf, Known>>> = OnceLock::new();
    MEMO.get_or_init(Mutex::default)
}

fn same_file(known: &Known, meta: &std::fs::Metadata) -> bool {
    known.len == meta.len() && known.modified == meta.modified().ok()
}

/// The SHA-256 of the file at `path`, read in 64 KiB pieces (a video may be
/// large), and remembered for [`remembered`].
pub fn file(path: &Path) -> std::io::Result<[u8; 32]> {
    if let Some(sha256) = remembered(path) {
        return Ok(sha256);
    }
    let mut file = std::fs::File::open(path)?;
    // Taken before reading: a write while the file is read changes the
    // modification time, and the hash is not trusted afterwards.
    let meta = file.metadata()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let sha256: [u8; 32] = hasher.finalize().into();
    remember(path, &meta, sha256);
    Ok(sha256)
}

/// Records that `bytes`, read from `path` whose metadata (taken before the
/// read) is `meta`, hash to their SHA-256, and returns it.
pub fn of_bytes(path: &Path, meta: &std::fs::Metadata, bytes: &[u8]) -> [u8; 32] {
    let sha256: [u8; 32] = Sha256::digest(bytes).into();
    remember(path, meta, sha256);
    sha256
}

fn remember(path: &Path, meta: &std::fs::Metadata, sha256: [u8; 32]) {
    let known = Known {
        len: meta.len(),
        modified: meta.modified().ok(),
        sha256,
    };
    if let Ok(mut memo) = memo().lock() {
        memo.insert(path.to_path_buf(), known);
    }
}

/// The SHA-256 this run already computed for `path`, if the file still has
/// the size and modification time it had then (one `stat`, no read).
pub fn remembered(path: &Path) -> Option<[u8; 32]> {
    let known = *memo().lock().ok()?.get(path)?;
    let meta = std::fs::metadata(path).ok()?;
    same_file(&known, &meta).then_some(known.sha256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_remembered_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jpg");
        std::fs::write(&path, b"first").unwrap();
        assert_eq!(remembered(&path), None, "never read");
        let first = file(&path).unwrap();
        assert_eq!(first, <[u8; 32]>::from(Sha256::digest(b"first")));
        assert_eq!(remembered(&path), Some(first));
        // Another content (another size): hashed again, not remembered.
        std::fs::write(&path, b"second!").unwrap();
        assert_eq!(remembered(&path), None);
        let second = file(&path).unwrap();
        assert_eq!(second, <[u8; 32]>::from(Sha256::digest(b"second!")));
        // The same size, a later modification time: not trusted either.
        std::fs::write(&path, b"third!!").unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(remembered(&path), None);
        // Bytes already read are hashed and remembered the same way.
        let meta = std::fs::metadata(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let third = of_bytes(&path, &meta, &bytes);
        assert_eq!(remembered(&path), Some(third));
        assert_eq!(file(&path).unwrap(), third);
        assert!(file(&dir.path().join("missing.jpg")).is_err());
    }
}
