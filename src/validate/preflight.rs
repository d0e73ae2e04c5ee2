//! Media preflight: every media reference resolved and its file's header
//! read, before anything is uploaded. Reads headers only, once per file per
//! run; each platform checks the headers against what it accepts (e.g.
//! `platform/instagram/media.rs`).

use crate::content::resolve_media_path;
use crate::diagnostic::{Pos, Problem, Rule};
use crate::media::{self, MediaInfo};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where a media file comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A file in the repo (path relative to the repo root).
    File { path: String, info: MediaInfo },
    /// An https URL used as it is; nothing to inspect.
    Url(String),
}

/// A media reference that exists (or is a URL), with what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub source: Source,
    pub is_video: bool,
}

impl Resolved {
    pub fn info(&self) -> Option<&MediaInfo> {
        match &self.source {
            Source::File { info, .. } => Some(info),
            Source::Url(_) => None,
        }
    }
}

/// Resolves media references, caching header reads by path so a file used by
/// many posts is inspected once.
pub struct Preflight {
    repo: PathBuf,
    repo_canonical: PathBuf,
    cache: HashMap<String, Result<MediaInfo, Unusable>>,
    /// Found when the first Git LFS pointer is.
    lfs: Option<crate::lfs::LocalStore>,
}

impl Preflight {
    pub fn new(repo: &Path) -> Preflight {
        Preflight {
            repo: repo.to_path_buf(),
            repo_canonical: repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf()),
            cache: HashMap::new(),
            lfs: None,
        }
    }

    /// Resolves `src` of the post `post_rel`; a problem says why it cannot be used.
    pub fn resolve(&mut self, file: &str, src: &str, at: Pos) -> Result<Resolved, Problem> {
        let problem = |rule, msg: String| Problem::new(rule, file, at, msg);
        if let Some(rest) = src.strip_prefix("https://") {
            if !src.is_ascii() || src.chars().any(char::is_whitespace) || rest.is_empty() {
                return Err(problem(Rule::MediaUrl, format!("`{src}` is not a plain-ASCII URL"))
                    .with_help("Meta fetches media with cURL: percent-encode spaces and non-ASCII characters"));
            }
            let path = rest
                .split(['?', '#'])
                .next()
                .unwrap_or(rest)
                .to_ascii_lowercase();
            let is_video = [".mp4", ".mov", ".m4v"].iter().any(|e| path.ends_with(e));
            return Ok(Resolved {
                source: Source::Url(src.to_string()),
                is_video,
            });
        }
        if let Some((scheme, _)) = src.split_once("://") {
            return Err(problem(
                Rule::MediaUrl,
                format!("`{src}` uses {scheme}://; Meta fetches only https:// URLs"),
            )
            .with_help("serve the file over https, or commit it to the repo and use its path"));
        }
        let Some(rel) = resolve_media_path(file, src) else {
            return Err(problem(
                Rule::MediaOutsideRepo,
                format!("`{src}` points outside the repository"),
            )
            .with_help("media must be committed inside the repo (or be an https:// URL)"));
        };
        let (repo, repo_canonical, lfs) = (&self.repo, &self.repo_canonical, &mut self.lfs);
        let found = self.cache.entry(rel.clone()).or_insert_with(|| {
            let info = look(repo, repo_canonical, &rel)?;
            if info.lfs.is_none() {
                return Ok(info);
            }
            let store = lfs.get_or_insert_with(|| crate::lfs::LocalStore::discover(repo));
            crate::lfs::resolve(info, &rel, store).map_err(Unusable::Unreadable)
        });
        match found {
            Ok(info) => Ok(Resolved {
                is_video: info.format.is_video(),
                source: Source::File {
                    path: rel,
                    info: info.clone(),
                },
            }),
            Err(Unusable::Missing) => {
                let base = file.rsplit_once('/').map_or("", |(d, _)| d);
                let help = match crate::suggest::media_path(repo, repo_canonical, src, &rel) {
                    Some(g) => format!("did you mean `{}`? (`{}` exists)", g.write, g.rel),
                    None => format!("paths are relative to the post's folder (`{base}/`); start with / for the repo root"),
                };
                Err(problem(
                    Rule::MediaMissing,
                    format!("media file `{rel}` does not exist"),
                )
                .with_help(help))
            }
            Err(Unusable::Folder) => Err(problem(
                Rule::MediaMissing,
                format!("`{rel}` is a folder, not a media file"),
            )),
            Err(Unusable::Outside) => Err(problem(
                Rule::MediaOutsideRepo,
                format!("`{rel}` is a symlink leading outside the repository; it is not read"),
            )
            .with_help("commit the file itself: Meta can only fetch what the repo serves")),
            Err(Unusable::NotRegular(why)) => Err(problem(
                Rule::FileNotRegular,
                format!("media file `{rel}`: {why}"),
            )
            .with_help(
                "a media file must be a regular file inside the repository (a symlink only to one)",
            )),
            Err(Unusable::Unreadable(e)) => {
                Err(problem(Rule::MediaFormat, format!("`{rel}`: {e}")))
            }
        }
    }
}

/// Why a media path cannot be used; cached per path like a good result.
#[derive(Debug, Clone)]
enum Unusable {
    Missing,
    Folder,
    Outside,
    NotRegular(String),
    Unreadable(String),
}

/// Stats, confines and inspects one repo file: the only I/O of the
/// preflight. Only a regular file inside the repo is opened (a symlink only
/// when it resolves inside); a FIFO or device is refused from its metadata.
fn look(repo: &Path, repo_canonical: &Path, rel: &str) -> Result<MediaInfo, Unusable> {
    use crate::content::safe::{self, Refused};
    let regular = match safe::inspect(repo, repo_canonical, rel) {
        Ok(r) => r,
        Err(Refused::Missing) => return Err(Unusable::Missing),
        Err(Refused::Kind {
            kind: "a folder", ..
        }) => return Err(Unusable::Folder),
        Err(Refused::Outside) => return Err(Unusable::Outside),
        Err(other) => return Err(Unusable::NotRegular(other.describe())),
    };
    let file = safe::open(&regular).map_err(|e| match e {
        safe::ReadError::NotRegular(kind) => {
            Unusable::NotRegular(format!("it is {kind}, not a regular file"))
        }
        safe::ReadError::Io(e) => Unusable::Unreadable(e.to_string()),
        safe::ReadError::TooLarge(_) => Unusable::Unreadable("too large".into()),
    })?;
    let len = file
        .metadata()
        .map_err(|e| Unusable::Unreadable(e.to_string()))?
        .len();
    media::inspect_reader(file, len).map_err(|e| Unusable::Unreadable(e.to_string()))
}

/// The warning for a media file whose Git LFS object this checkout lacks.
pub fn lfs_missing(file: &str, path: &str, at: Pos) -> Problem {
    Problem::new(
        Rule::LfsObjectMissing,
        file,
        at,
        format!("`{path}` is a Git LFS pointer whose object this checkout does not have; its size comes from the pointer, and its format, dimensions and duration are checked by apply, which fetches it"),
    )
    .with_help(crate::lfs::FETCH_HELP)
}
