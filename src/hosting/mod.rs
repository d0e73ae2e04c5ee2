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

/// What the URL template needs, found once per run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hosting {
    template: Option<String>,
    repo: Option<String>,
    sha: Option<String>,
    /// The content repo's folder inside the git repository (`""` at its root).
    prefix: String,
    /// `[media] store`: repo files are offered from there instead.
    store: Option<spec::StoreSpec>,
}

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
        Hosting {
            template: config.media.base_url.clone(),
            repo: repo_slug,
            sha,
            prefix,
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
            store: None,
        }
    }

    /// The public URL of a repo file (path relative to the content repo), or
    /// why there is none.
    pub fn url(&self, rel: &str) -> Result<String, String> {
        let template = self
            .template
            .as_deref()
            .ok_or("no [media] base_url in postwright.toml")?;
        let path = if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.prefix)
        };
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
            let r = http
                .get(url)
                .header(reqwest::header::RANGE, "bytes=0-0")
                .send()
                .await
                .map_err(|e| format!("{url} cannot be reached: {}", reach_error(&e)))?;
            if !r.status().is_success() {
                return Err(format!(
                    "{url} answers HTTP {}: Meta cannot fetch it",
                    r.status().as_u16()
                ));
            }
            r.headers()
                .get(reqwest::header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit('/').next())
                .and_then(|v| v.parse::<u64>().ok())
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
    let r = http
        .get(url)
        .header(reqwest::header::RANGE, "bytes=0-0")
        .send()
        .await
        .map_err(|e| format!("its presigned URL {}", reach_error(&e)))?;
    let header = |name| {
        r.headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let size = match r.status().as_u16() {
        206 => header(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.rsplit('/').next().and_then(|n| n.parse::<u64>().ok())),
        // A store that ignores Range: the whole length, body left unread.
        200 => header(reqwest::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
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
