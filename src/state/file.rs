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
}

impl FileStore {
    /// `path` is where the record lives; `display` how messages name it.
    pub fn new(path: PathBuf, display: &str) -> FileStore {
        FileStore {
            path,
            display: display.to_string(),
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
        result.map_err(|e| self.write_err(e))
    }

    fn location(&self) -> String {
        self.display.clone()
    }
}
