//! `postwright validate`: every post (or the files and folders named)
//! checked, without network or credentials.

use super::{emit, load_config, Exit, Failure, Globals};
use crate::config::Config;
use crate::content::{self, PostFile};
use crate::report::Format;
use crate::validate as stage;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn validate(
    g: &Globals,
    format: Format,
    paths: &[PathBuf],
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let repo = &g.repo;
    let config = load_config(g, format, out)?;
    let only = if paths.is_empty() {
        None
    } else {
        Some(select(repo, &config, paths)?)
    };
    let result = stage::validate_repo(repo, &config, only.as_deref());
    let problems = result.problems();
    emit(
        out,
        format,
        repo,
        &problems,
        result.posts.len(),
        &result.scanned,
    );
    let exit = if result.has_errors() {
        Exit::Error
    } else {
        Exit::Ok
    };
    drop(problems);
    super::keep_until_exit(result);
    Ok(exit)
}

/// Turns PATH arguments (relative to the current folder) into post files.
fn select(repo: &Path, config: &Config, paths: &[PathBuf]) -> Result<Vec<PostFile>, Failure> {
    let repo_abs = repo
        .canonicalize()
        .map_err(|e| Failure::Usage(format!("--repo {}: {e}", repo.display())))?;
    let mut files = Vec::new();
    for path in paths {
        let no_such = || Failure::Usage(format!("{}: no such file or folder", path.display()));
        // A symlink is named by itself (its folder resolved, not its
        // target): validation then says why it is not followed.
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let abs = match (is_link, path.parent(), path.file_name()) {
            (true, Some(parent), Some(name)) => {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                parent.canonicalize().map_err(|_| no_such())?.join(name)
            }
            _ => path.canonicalize().map_err(|_| no_such())?,
        };
        let Some(rel) = content::relative(&repo_abs, &abs) else {
            return Err(Failure::Usage(format!(
                "{} is outside the content repo {}",
                path.display(),
                repo.display()
            )));
        };
        if !is_link && abs.is_dir() {
            let (found, _) = content::discover(&repo_abs, std::slice::from_ref(&rel));
            files.extend(found.into_iter().map(|f| PostFile {
                named: false,
                walked: f.walked,
                ..content::named_file(&f.rel, &config.content)
            }));
        } else {
            files.push(content::named_file(&rel, &config.content));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}
