//! `postwright init`: scaffolds a content repo — config, a first post and its
//! image, the three GitHub workflows, and a page on how it all fits. It never
//! overwrites: every target is checked before anything is written.

use std::path::{Path, PathBuf};

/// The files `init` writes, relative to the target folder.
const FILES: &[(&str, &[u8])] = &[
    (
        "postwright.toml",
        include_bytes!("../templates/postwright.toml"),
    ),
    (
        "posts/welcome.md",
        include_bytes!("../templates/posts/welcome.md"),
    ),
    (
        "media/welcome.jpg",
        include_bytes!("../templates/media/welcome.jpg"),
    ),
    (
        ".github/workflows/postwright-plan.yml",
        include_bytes!("../templates/workflows/postwright-plan.yml"),
    ),
    (
        ".github/workflows/postwright-apply.yml",
        include_bytes!("../templates/workflows/postwright-apply.yml"),
    ),
    (
        ".github/workflows/postwright-token-refresh.yml",
        include_bytes!("../templates/workflows/postwright-token-refresh.yml"),
    ),
];

const GUIDE: &[u8] = include_bytes!("../templates/POSTWRIGHT.md");

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already exist{}; init writes nothing over existing files (move them away, or add postwright by hand)", .0.join(", "), if .0.len() == 1 { "s" } else { "" })]
    Exists(Vec<String>),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Writes the scaffold into `dir` and returns the paths written (relative).
/// The guide goes to README.md, or to POSTWRIGHT.md when a README exists.
pub fn init(dir: &Path) -> Result<Vec<String>, InitError> {
    let guide = if dir.join("README.md").exists() {
        "POSTWRIGHT.md"
    } else {
        "README.md"
    };
    let files: Vec<(&str, &[u8])> = FILES
        .iter()
        .copied()
        .chain(std::iter::once((guide, GUIDE)))
        .collect();
    let existing: Vec<String> = files
        .iter()
        .filter(|(rel, _)| dir.join(rel).symlink_metadata().is_ok())
        .map(|(rel, _)| rel.to_string())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    let mut written = Vec::new();
    for (rel, bytes) in files {
        let path: PathBuf = dir.join(rel);
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
            })
            .and_then(|mut f| std::io::Write::write_all(&mut f, bytes));
        result.map_err(|source| InitError::Write {
            path: path.display().to_string(),
            source,
        })?;
        written.push(rel.to_string());
    }
    Ok(written)
}
