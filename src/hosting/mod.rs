//! How repo media files become public URLs Meta can fetch: `[media] store`
//! (object storage, [`store`]), `base_url` (a template, [`Hosting`]) or
//! `upload_command` (a script).
//!
//! `[media] base_url` is a template: `{repo}` (owner/name), `{sha}` (the
//! commit) and `{path}` (the file's path in the git repository). A template
//! without `{path}` gets the path appended. `{repo}` and `{sha}` come from
//! `GITHUB_REPOSITORY`/`GITHUB_SHA` in Actions, else from the `origin`
//! remote and HEAD of the git repository holding the content.

pub mod redact;
pub mod spec;
pub mod store;

use crate::config::Config;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Where raw.githubusercontent.com serves a public repo's files; for a
/// file in Git LFS it serves the pointer.
const RAW: &str = "https://raw.githubusercontent.com/";
/// Where GitHub serves the content of a public repo's LFS files.
const LFS_MEDIA: &str = "https://media.githubusercontent.com/media/";

/// What the URL template needs, found once per run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hosting {
    template: Option<String>,
    repo: Option<String>,
    sha: Option<String>,
    /// The content repo's folder inside the git repository (`""` at its root).
    prefix: String,
    /// The git repository, for `.gitattributes` (which files are in LFS).
    attrs: Attrs,
    /// `[media] store`: repo files are offered from there instead.
    store: Option<spec::StoreSpec>,
}

/// The git repository, shared by the clones of a [`Hosting`] (apply's
/// builds run on several tasks), asked which files `.gitattributes` sends
/// through Git LFS.
#[derive(Clone, Default)]
struct Attrs(Option<Arc<Mutex<git2::Repository>>>);

impl Attrs {
    /// Whether `.gitattributes` gives `path` (relative to the work tree)
    /// `filter=lfs`.
    fn lfs(&self, path: &str) -> bool {
        let Some(repo) = &self.0 else { return false };
        let Ok(repo) = repo.lock() else { return false };
        let flags = git2::AttrCheckFlags::FILE_THEN_INDEX;
        matches!(
            repo.get_attr(Path::new(path), "filter", flags),
            Ok(Some("lfs"))
        )
    }
}

/// Whether any file of the repository can be in Git LFS: a
/// `.gitattributes` (in the index, or at the work tree's root) or
/// `info/attributes` says `filter=lfs`. Most repositories say nothing of
/// it and then cost no attribute lookup per media file.
fn uses_lfs(git: &git2::Repository) -> bool {
    let says = |bytes: &[u8]| bytes.windows(10).any(|w| w == b"filter=lfs");
    let read = |p: &Path| std::fs::read(p).is_ok_and(|b| says(&b));
    if git
        .workdir()
        .is_some_and(|w| read(&w.join(".gitattributes")))
        || read(&git.commondir().join("info/attributes"))
    {
        return true;
    }
    let Ok(index) = git.index() else {
        return false;
    };
    index
        .iter()
        .filter(|e| e.path == b".gitattributes" || e.path.ends_with(b"/.gitattributes"))
        .any(|e| git.find_blob(e.id).is_ok_and(|b| says(b.content())))
}

impl std::fmt::Debug for Attrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Attrs(repo)"
        } else {
            "Attrs(none)"
        })
    }
}

// The repository is a cache of what the files say, not part of the
// hosting's value.
impl PartialEq for Attrs {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Attrs {}

impl Hosting {
    /// Reads the environment and the git repository around `repo`.
    pub fn discover(repo: &Path, config: &Config) -> Hosting {
        let git = git2::Repository::discover(repo).ok();
        let prefix = git
            .as_ref()
            .and_then(|g| g.workdir().map(Path::to_path_buf))
            .and_then(|w| {
                let w = w.canonicalize().ok()?;
                let r = repo.canonicalize().ok()?;
                crate::content::relative(&w, &r)
            })
            .unwrap_or_default();
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let repo_slug = env("GITHUB_REPOSITORY").or_else(|| {
            let url = git
                .as_ref()?
                .find_remote("origin")
                .ok()?
                .url()
                .ok()?
                .to_string();
            github_slug(&url)
        });
        let sha = env("GITHUB_SHA").or_else(|| {
            let head = git.as_ref()?.head().ok()?;
            head.target().map(|oid| oid.to_string())
        });
        // Only raw.githubusercontent.com URLs change for LFS files.
        let raw = config
            .media
            .base_url
            .as_deref()
            .is_some_and(|t| t.starts_with(RAW));
        Hosting {
            template: config.media.base_url.clone(),
            repo: repo_slug,
            sha,
            prefix,
            attrs: Attrs(
                git.filter(|g| raw && uses_lfs(g))
                    .map(|g| Arc::new(Mutex::new(g))),
            ),
            store: config.store.clone(),
        }
    }

    /// `[media] store`, when media go there.
    pub fn store(&self) -> Option<&spec::StoreSpec> {
        self.store.as_ref()
    }

    /// For tests and callers that know the values.
    pub fn new(
        template: Option<&str>,
        repo: Option<&str>,
        sha: Option<&str>,
        prefix: &str,
    ) -> Hosting {
        Hosting {
            template: template.map(str::to_string),
            repo: repo.map(str::to_string),
            sha: sha.map(str::to_string),
            prefix: prefix.to_string(),
            attrs: Attrs::default(),
            store: None,
        }
    }

    /// [`Hosting::new`] that reads `.gitattributes` from the git
    /// repository `git` (tests).
    pub fn with_git(mut self, git: git2::Repository) -> Hosting {
        self.attrs = Attrs(Some(Arc::new(Mutex::new(git))));
        self
    }

    /// The public URL of a media file whose content Meta must get: as
    /// [`Hosting::url`], except that on raw.githubusercontent.com a file in
    /// Git LFS (`pointer`: the work tree holds its pointer; or
    /// `.gitattributes` gives it `filter=lfs`) gets the URL GitHub serves
    /// its content from, media.githubusercontent.com, not its pointer's.
    pub fn media_url(&self, rel: &str, pointer: bool) -> Result<String, String> {
        let url = self.url(rel)?;
        match url.strip_prefix(RAW) {
            Some(rest) if pointer || self.attrs.lfs(&self.repo_path(rel)) => {
                Ok(format!("{LFS_MEDIA}{rest}"))
            }
            _ => Ok(url),
        }
    }

    /// `rel` (relative to the content repo) relative to the git work tree.
    pub fn repo_path(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    /// The public URL of a repo file (path relative to the content repo), or
    /// why there is none.
    pub fn url(&self, rel: &str) -> Result<String, String> {
        let template = self
            .template
            .as_deref()
            .ok_or("no [media] base_url in postwright.toml")?;
        let path = self.repo_path(rel);
        let mut url = template.to_string();
        if url.contains("{repo}") {
            let repo = self
                .repo
                .as_deref()
                .ok_or("{repo} is unknown: set GITHUB_REPOSITORY or a GitHub `origin` remote")?;
            url = url.replace("{repo}", repo);
        }
        if url.contains("{sha}") {
            let sha = self
                .sha
                .as_deref()
                .ok_or("{sha} is unknown: set GITHUB_SHA or commit the content")?;
            url = url.replace("{sha}", sha);
        }
        let encoded = encode_path(&path);
        if url.contains("{path}") {
            url = url.replace("{path}", &encoded);
        } else {
            if !url.ends_with('/') {
                url.push('/');
            }
            url.push_str(&encoded);
        }
        Ok(url)
    }
}

/// `git@github.com:owner/name.git` or `https://github.com/owner/name` → `owner/name`.
pub fn github_slug(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("git@github.com:")
        .or_else(|| url.split_once("github.com/").map(|(_, r)| r))?;
    let slug = rest.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = slug.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(o), Some(n), None) if !o.is_empty() && !n.is_empty() => Some(format!("{o}/{n}")),
        _ => None,
    }
}

/// Percent-encodes a path for a URL, keeping `/`: Meta wants plain ASCII.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Runs `[media] upload_command` for one file: `{path}` is replaced by the
/// file's path relative to the content repo (quoted for the shell), the
/// command runs in the repo, and its last non-empty stdout line is the URL.
pub async fn run_upload_command(repo: &Path, command: &str, rel: &str) -> Result<String, String> {
    let quoted = format!("'{}'", rel.replace('\'', "'\\''"));
    let line = if command.contains("{path}") {
        command.replace("{path}", &quoted)
    } else {
        format!("{command} {quoted}")
    };
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&line)
        .current_dir(repo)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run upload_command: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "upload_command failed for {rel} ({}): {}",
            output.status,
            stderr.trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let url = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| format!("upload_command printed no URL for {rel}"))?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!(
            "upload_command printed `{url}` for {rel}, not a URL"
        ));
    }
    Ok(url.to_string())
}

/// Checks that Meta will be able to fetch `url`: it answers, and with the
/// same number of bytes as the local file. HEAD first; servers that refuse
/// HEAD get a one-byte ranged GET.
pub async fn check_reachable(
    http: &reqwest::Client,
    url: &str,
    expected: u64,
) -> Result<(), String> {
    let head = http.head(url).send().await;
    let size = match head {
        Ok(r) if r.status().is_success() => r
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok()),
        Ok(r)
            if r.status().as_u16() == 404
                || r.status().as_u16() == 403
                || r.status().as_u16() == 401 =>
        {
            return Err(format!("{url} answers HTTP {}: Meta cannot fetch it (is the commit pushed and the file public?)", r.status().as_u16()));
        }
        _ => {
            let (status, size) = ranged_get(http, url)
                .await
                .map_err(|e| format!("{url} cannot be reached: {}", reach_error(&e)))?;
            if !(200..300).contains(&status) {
                return Err(format!("{url} answers HTTP {status}: Meta cannot fetch it"));
            }
            size
        }
    };
    match size {
        Some(n) if n != expected => Err(format!(
            "{url} serves {n} bytes but the file has {expected}: the hosted copy is another version (push the commit, or wait for the CDN)"
        )),
        _ => Ok(()),
    }
}

/// Checks a presigned GET URL as Meta will use it: with a GET, because S3
/// answers 403 to a HEAD on a URL signed for GET (the method is part of
/// the signature); one byte of it (`Range: bytes=0-0`), its size read from
/// `Content-Range`. Messages never quote the URL: its signature is a
/// credential.
pub async fn check_presigned(
    http: &reqwest::Client,
    url: &str,
    expected: u64,
) -> Result<(), String> {
    let (status, size) = ranged_get(http, url)
        .await
        .map_err(|e| format!("its presigned URL {}", reach_error(&e)))?;
    let size = match status {
        200 | 206 => size,
        403 => return Err("its presigned URL answers HTTP 403: the store refused the signature (expired, a clock that is off, or credentials that expired)".into()),
        404 => return Err("its presigned URL answers HTTP 404: the object is not in the store".into()),
        code => return Err(format!("its presigned URL answers HTTP {code}")),
    };
    match size {
        Some(n) if n != expected => Err(format!(
            "the store serves {n} bytes but the file has {expected}"
        )),
        _ => Ok(()),
    }
}

/// One byte of `url` (`Range: bytes=0-0`, the body left unread): the
/// status and the file's whole size — `Content-Range`'s total on 206, the
/// `Content-Length` of a 200 from a host that ignores ranges.
async fn ranged_get(
    http: &reqwest::Client,
    url: &str,
) -> Result<(u16, Option<u64>), reqwest::Error> {
    let r = http
        .get(url)
        .header(reqwest::header::RANGE, "bytes=0-0")
        .send()
        .await?;
    let header = |name| {
        r.headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
    };
    let status = r.status().as_u16();
    let size = match status {
        206 => header(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.rsplit('/').next())
            .and_then(|n| n.parse().ok()),
        200 => header(reqwest::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
        _ => None,
    };
    Ok((status, size))
}

fn reach_error(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let h = Hosting::new(
            Some("https://raw.githubusercontent.com/{repo}/{sha}/"),
            Some("kiln/feed"),
            Some("abc123"),
            "content",
        );
        assert_eq!(
            h.url("media/mug desk.jpg").unwrap(),
            "https://raw.githubusercontent.com/kiln/feed/abc123/content/media/mug%20desk.jpg"
        );
        let h = Hosting::new(
            Some("https://cdn.example.com/{path}?v={sha}"),
            None,
            Some("abc"),
            "",
        );
        assert_eq!(
            h.url("media/ü.jpg").unwrap(),
            "https://cdn.example.com/media/%C3%BC.jpg?v=abc"
        );
        let h = Hosting::new(Some("https://x/{repo}/"), None, None, "");
        assert!(h.url("a.jpg").unwrap_err().contains("GITHUB_REPOSITORY"));
        assert!(Hosting::default().url("a.jpg").is_err());
    }

    // issue 26: raw.githubusercontent.com serves an LFS file's pointer;
    // Meta must get media.githubusercontent.com, which serves its content.
    #[test]
    fn lfs_files_get_githubs_media_host() {
        let raw = || {
            Hosting::new(
                Some("https://raw.githubusercontent.com/{repo}/{sha}/"),
                Some("kiln/feed"),
                Some("abc123"),
                "content",
            )
        };
        assert_eq!(
            raw().media_url("media/reel.mp4", true).unwrap(),
            "https://media.githubusercontent.com/media/kiln/feed/abc123/content/media/reel.mp4"
        );
        assert_eq!(
            raw().media_url("media/mug.jpg", false).unwrap(),
            "https://raw.githubusercontent.com/kiln/feed/abc123/content/media/mug.jpg"
        );
        // Tracked by .gitattributes, its content in the work tree.
        let dir = tempfile::tempdir().unwrap();
        let git = git2::Repository::init(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path().join("content")).unwrap();
        std::fs::write(
            dir.path().join("content/.gitattributes"),
            "*.mp4 filter=lfs diff=lfs merge=lfs -text\n",
        )
        .unwrap();
        let tracked = raw().with_git(git);
        assert_eq!(
            tracked.media_url("media/reel.mp4", false).unwrap(),
            "https://media.githubusercontent.com/media/kiln/feed/abc123/content/media/reel.mp4"
        );
        assert!(tracked
            .media_url("media/mug.jpg", false)
            .unwrap()
            .starts_with("https://raw.githubusercontent.com/"));
        // Only a repository that sends files through LFS is asked per
        // file: a .gitattributes in a folder counts once in the index.
        let git = git2::Repository::open(dir.path()).unwrap();
        assert!(!uses_lfs(&git));
        let mut index = git.index().unwrap();
        index.add_path(Path::new("content/.gitattributes")).unwrap();
        index.write().unwrap();
        assert!(uses_lfs(&git));
        let plain = tempfile::tempdir().unwrap();
        let git = git2::Repository::init(plain.path()).unwrap();
        std::fs::write(plain.path().join(".gitattributes"), "*.jpg -text\n").unwrap();
        assert!(!uses_lfs(&git));
        std::fs::write(plain.path().join(".gitattributes"), "*.mp4 filter=lfs\n").unwrap();
        assert!(uses_lfs(&git), "at the root, in the work tree");
        // Any other host serves what it is given.
        let cdn = Hosting::new(Some("https://cdn.example.com/"), None, None, "");
        assert_eq!(
            cdn.media_url("media/reel.mp4", true).unwrap(),
            "https://cdn.example.com/media/reel.mp4"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(
            github_slug("git@github.com:kiln/feed.git").as_deref(),
            Some("kiln/feed")
        );
        assert_eq!(
            github_slug("https://github.com/kiln/feed").as_deref(),
            Some("kiln/feed")
        );
        assert_eq!(github_slug("https://gitlab.com/kiln/feed"), None);
    }
}
