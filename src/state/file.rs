//! The file backend: `.postwright/state.json` in the content repo.
//!
//! Every save writes a temporary file beside the record, fsyncs it, renames
//! it over the record and (for a save that must reach the disk before the
//! next step) fsyncs the folder, so a crash at any instant leaves either the
//! old record or the new one, never a torn one.
//!
//! One writer at a time: apply holds an OS lock on `<record>.lock` beside
//! the record (the kernel drops it when the process dies, so a killed run
//! never leaves it stuck), with who holds it written inside for whoever
//! finds it taken.

use super::{parse, render, Lease, Locked, Reach, State, StateError, Store};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct FileStore {
    path: PathBuf,
    display: String,
    /// Leftovers of killed writers are swept once per store, not per save.
    swept: std::sync::atomic::AtomicBool,
    /// The record's text as last loaded or saved (`None`: there was none).
    seen: Mutex<Option<String>>,
    /// The lock file and our lease, while we hold it.
    held: Mutex<Option<(std::fs::File, Lease)>>,
}

impl FileStore {
    /// `path` is where the record lives; `display` how messages name it.
    pub fn new(path: PathBuf, display: &str) -> FileStore {
        FileStore {
            path,
            display: display.to_string(),
            swept: std::sync::atomic::AtomicBool::new(false),
            seen: Mutex::new(None),
            held: Mutex::new(None),
        }
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "state.json".into());
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn read_text(&self) -> Result<Option<String>, StateError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Read {
                at: self.display.clone(),
                source,
            }),
        }
    }

    fn write_err(&self, source: std::io::Error) -> StateError {
        StateError::Write {
            at: self.display.clone(),
            source,
        }
    }
}

impl Store for FileStore {
    fn load(&self) -> Result<State, StateError> {
        let text = self.read_text()?;
        let state = match &text {
            Some(t) => parse(t, &self.display)?,
            None => State::default(),
        };
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = text;
        Ok(state)
    }

    /// The new text is fsynced before the rename, always: a power loss
    /// then leaves the old record or the new one, never an empty file.
    /// The folder is fsynced after the rename (which makes the new record
    /// the one a power loss keeps) for a [`Reach::Shared`] save only: a
    /// [`Reach::Local`] one survives the process being killed (the kernel
    /// has the rename), and what a power loss could take back from it is
    /// by definition what the next run finds out by reading the platform.
    fn save(&self, state: &State, _message: &str, reach: Reach) -> Result<(), StateError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.write_err(e))?;
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state.json".into());
        // Unique per process and per save, so two writers (threads or
        // processes) never share a temporary file.
        static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        let text = render(state);
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &self.path)?;
            // The rename itself must reach the disk too.
            if reach == Reach::Shared {
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(|e| self.write_err(e))?;
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
        if !self.swept.swap(true, std::sync::atomic::Ordering::Relaxed) {
            sweep(dir, &name);
        }
        Ok(())
    }

    fn location(&self) -> String {
        self.display.clone()
    }

    fn lock(&self) -> Result<Locked, StateError> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.is_none() {
            let path = self.lock_path();
            let lock_err = |source| StateError::Write {
                at: path.display().to_string(),
                source,
            };
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(lock_err)?;
            }
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(lock_err)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    return Ok(Locked::Held(holder_in(&text)));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(lock_err(e)),
            }
            // Who holds it, for whoever finds it taken.
            let lease = Lease::mine(None);
            // Cannot fail: a lease is strings and timestamps.
            let text = serde_json::to_string(&lease).expect("a lease serialises");
            let written = file
                .set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| file.write_all(text.as_bytes()));
            written.map_err(lock_err)?;
            *held = Some((file, lease));
        }
        // Another process may have written between our read and our lock.
        let now = self.read_text()?;
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(if now == seen {
            Locked::Acquired { took_over: None }
        } else {
            Locked::Moved
        })
    }

    fn renew(&self) -> Result<(), StateError> {
        Ok(())
    }

    fn release(&self) -> Result<(), StateError> {
        if let Some((file, _)) = self.held.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = file.set_len(0);
            let _ = file.unlock();
        }
        Ok(())
    }

    fn lease(&self) -> Result<Option<Lease>, StateError> {
        if let Some((_, lease)) = &*self.held.lock().unwrap_or_else(|e| e.into_inner()) {
            return Ok(Some(lease.clone()));
        }
        let Ok(file) = std::fs::File::open(self.lock_path()) else {
            return Ok(None);
        };
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                Ok(None)
            }
            Err(_) => {
                let text = std::fs::read_to_string(self.lock_path()).unwrap_or_default();
                Ok(Some(holder_in(&text)))
            }
        }
    }

    fn unlock(&self, _id: &str) -> Result<Lease, StateError> {
        Err(StateError::Unlock(match self.lease()? {
            Some(l) => format!(
                "{} is locked by {}: the file backend's lock is an OS lock, released when that process ends; stop it instead (nothing was changed)",
                self.display,
                l.describe()
            ),
            None => format!("{} is not locked; nothing to unlock", self.display),
        }))
    }
}

/// Who holds the lock, as its holder wrote it in the lock file (a holder
/// that has not written it yet, or wrote something else, is just "another
/// process").
fn holder_in(text: &str) -> Lease {
    serde_json::from_str(text).unwrap_or_else(|_| Lease {
        holder: "another postwright process".into(),
        ..Lease::mine(None)
    })
}

/// Removes temporary files a killed writer left beside the record. Only old
/// ones: a file of a writer still at work is seconds old at most.
fn sweep(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !(file.starts_with(&prefix) && file.ends_with(".tmp")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(600));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Store;

    #[test]
    fn a_save_sweeps_old_leftovers_of_killed_writers_only() {
        let dir = tempfile::tempdir().unwrap();
        // Pids above any this system hands out (pid_max is at most 2^22),
        // so this test's own save never writes one of these names.
        let old = dir.path().join(".state.json.4294967290.0.tmp");
        let fresh = dir.path().join(".state.json.4294967291.0.tmp");
        let other = dir.path().join("notes.tmp");
        for p in [&old, &fresh, &other] {
            std::fs::write(p, "{").unwrap();
        }
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for p in [&old, &other] {
            std::fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(hour_ago)
                .unwrap();
        }
        let store = FileStore::new(dir.path().join("state.json"), "state.json");
        store.save(&State::default(), "x", Reach::Local).unwrap();
        assert!(!old.exists());
        assert!(fresh.exists(), "a live writer's file stays");
        assert!(other.exists(), "not ours");
        assert_eq!(store.load().unwrap(), State::default());
    }
}
