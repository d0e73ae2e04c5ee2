//! A private repository whose media would be served by
//! raw.githubusercontent.com: that host answers 404 for private (and
//! internal) repositories, so every post with a file of the repository
//! would fail when it is due, run after run. In GitHub Actions the event
//! payload says whether the repository is private, so the pull request's
//! plan says so instead, with the fix.

use crate::config::Config;
use crate::diagnostic::{Pos, Problem, Rule};
use serde::Deserialize;
use std::path::Path;

/// The part of a GitHub event payload this reads (every event that runs a
/// workflow carries `repository`).
#[derive(Deserialize)]
struct Event {
    repository: Option<Repository>,
}

#[derive(Deserialize)]
struct Repository {
    private: Option<bool>,
    /// `public`, `private` or `internal` (GitHub Enterprise).
    visibility: Option<String>,
}

/// Whether the repository the workflow runs for is private, from the event
/// payload at `GITHUB_EVENT_PATH`; `None` outside GitHub Actions or when the
/// payload does not say.
pub fn repo_is_private() -> Option<bool> {
    let path = std::env::var_os("GITHUB_EVENT_PATH")?;
    payload_says_private(Path::new(&path))
}

fn payload_says_private(path: &Path) -> Option<bool> {
    let file = std::fs::File::open(path).ok()?;
    let event: Event = serde_json::from_reader(std::io::BufReader::new(file)).ok()?;
    let repo = event.repository?;
    match repo.visibility.as_deref() {
        Some("private" | "internal") => Some(true),
        Some("public") => Some(false),
        _ => repo.private,
    }
}

/// Media of the repository go to a platform that fetches them (Meta)
/// through raw.githubusercontent.com: `base_url` names that host, nothing
/// comes before it, and an account's platform fetches media from URLs
/// (a platform that takes the bytes never asks that host).
fn served_by_raw_github(config: &Config) -> bool {
    let fetched = config
        .accounts
        .values()
        .any(|a| a.platform.spec().fetches_media());
    fetched
        && config.media.upload_command.is_none()
        && config
            .media
            .base_url
            .as_deref()
            .is_some_and(|u| u.contains("raw.githubusercontent.com"))
}

/// The problem, when the repository is `private` and its media would go
/// through raw.githubusercontent.com.
pub fn check(config: &Config, private: Option<bool>) -> Option<Problem> {
    if private != Some(true) || !served_by_raw_github(config) {
        return None;
    }
    Some(
        Problem::new(
            Rule::Config,
            &config.file,
            config.base_url_at.unwrap_or(Pos::START),
            "this repository is private (the GitHub event says so), and `[media] base_url` \
             is raw.githubusercontent.com, which answers 404 for a private repository: Meta \
             could fetch none of its images or videos",
        )
        .with_help(
            "keep the media in your own object storage: `[media] store = \"s3://bucket/prefix\"` \
             (or gs://, az://; see \"Media from a private repo\" in postwright's README), \
             or set `upload_command`",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "[accounts.brand]\nuser_id = \"17841400000000001\"\n\n[media]\nbase_url = \"https://raw.githubusercontent.com/{repo}/{sha}/\"\n";

    fn payload(json: &str) -> Option<bool> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        std::fs::write(&path, json).unwrap();
        payload_says_private(&path)
    }

    #[test]
    fn the_payload_says_private_public_or_nothing() {
        assert_eq!(
            payload(r#"{"repository": {"private": true, "visibility": "private"}}"#),
            Some(true)
        );
        assert_eq!(
            payload(r#"{"repository": {"private": false, "visibility": "internal"}}"#),
            Some(true)
        );
        assert_eq!(
            payload(r#"{"number": 3, "repository": {"private": false}}"#),
            Some(false)
        );
        assert_eq!(payload(r#"{"schedule": "17 * * * *"}"#), None);
        assert_eq!(payload("not json"), None);
    }

    #[test]
    fn a_private_repo_on_raw_github_is_an_error_at_base_url() {
        let config = Config::parse(CONFIG, "postwright.toml").unwrap();
        let p = check(&config, Some(true)).expect("a problem");
        assert_eq!(p.rule, Rule::Config);
        assert_eq!((p.line, p.column), (5, 1));
        assert!(p.help.as_deref().unwrap().contains("[media] store"));
        assert!(check(&config, Some(false)).is_none());
        assert!(check(&config, None).is_none());
        let command = format!("{CONFIG}upload_command = \"scripts/up.sh\"\n");
        let config = Config::parse(&command, "postwright.toml").unwrap();
        assert!(check(&config, Some(true)).is_none());
    }
}
