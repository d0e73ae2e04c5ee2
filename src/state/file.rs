//! The file backend: `.postwright/state.json` in the content repo.
//!
//! Every save writes a temporary file beside the record, fsyncs it, renames
//! it over the record and fsyncs the folder, so a crash at any instant leaves
//! either the old record or the new one, never a torn one.

use super::{parse, render, State, StateError, Store};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct FileStore {
    path: PathBuf,
    display: String,
    /// Leftovers of killed writers are swept once per store, not per save.
    swept: std::sync::atomic::AtomicBool,
}

impl FileStore {
    /// `path` is where the record lives; `display` how messages name it.
    pub fn new(path: PathBuf, display: &str) -> FileStore {
        FileStore {
            path,
            display: display.to_string(),
            swept: std::sync::atomic::AtomicBool::new(false),
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
        match std::fs::read_to_string(&self.path) {
            Ok(text) => parse(&text, &self.display),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(source) => Err(StateError::Read {
                at: self.display.clone(),
                source,
            }),
        }
    }

    fn save(&self, state: &State, _message: &str) -> Result<(), StateError> {
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
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(render(state).as_bytes())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &self.path)?;
            // The rename itself must reach the disk too.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(|e| self.write_err(e))?;
        if !self.swept.swap(true, std::sync::atomic::Ordering::Relaxed) {
            sweep(dir, &name);
        }
        Ok(())
    }

    fn location(&self) -> String {
        self.display.clone()
    }
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
        let old = dir.path().join(".state.json.4242.0.tmp");
        let fresh = dir.path().join(".state.json.4243.0.tmp");
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
        store.save(&State::default(), "x").unwrap();
        assert!(!old.exists());
        assert!(fresh.exists(), "a live writer's file stays");
        assert!(other.exists(), "not ours");
        assert_eq!(store.load().unwrap(), State::default());
    }
}
