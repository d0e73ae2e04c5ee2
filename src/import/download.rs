//! A bounded download of one live media item into the repo.
//!
//! The URL is the platform's CDN URL; Meta's are signed (`oh`, `oe`,
//! `_nc_*` in the query) and work like a short-lived credential. It is
//! therefore only sent, never kept: no error, progress line or file here
//! holds it (reqwest's own errors quote the URL, so they are turned into
//! words of ours before anyone sees them). The bytes go to a `.part` file
//! renamed into place when complete, so a file under its final name is
//! always whole.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How much and how long one download may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub timeout: Duration,
}

impl Limits {
    /// Instagram takes images up to 8 MB and reels up to 300 MB (1 GB with
    /// resumable uploads): anything larger is not a media item.
    pub fn for_item(video: bool) -> Limits {
        Limits {
            max_bytes: if video { 1 << 30 } else { 64 << 20 },
            timeout: Duration::from_secs(if video { 600 } else { 120 }),
        }
    }
}

/// Why an item could not be downloaded (never with its URL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("the media server answered HTTP {0}")]
    Status(u16),
    #[error("it is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the media server answered with {0}, not an image or a video")]
    NotMedia(String),
    #[error("the download timed out")]
    Timeout,
    #[error("the media server could not be reached ({0})")]
    Transport(&'static str),
    #[error("cannot write {path}: {message}")]
    Io { path: String, message: String },
}

impl DownloadError {
    /// The media is gone (deleted in the app since it was listed, or its
    /// URL expired): the post is written without it and says so.
    pub fn gone(&self) -> bool {
        matches!(self, DownloadError::Status(403 | 404 | 410))
    }

    fn transport(e: &reqwest::Error) -> DownloadError {
        if e.is_timeout() {
            DownloadError::Timeout
        } else if e.is_connect() {
            DownloadError::Transport("could not connect")
        } else {
            DownloadError::Transport("connection broken")
        }
    }
}

/// The client downloads use: no credentials of ours ever go with them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("postwright/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("TLS backend available")
}

/// Downloads `url` into `dir` as `stem.<ext>` (the extension from the
/// answer's type, else the URL's path, else `mp4`/`jpg`): the file name.
pub async fn download(
    http: &reqwest::Client,
    url: &str,
    dir: &Path,
    stem: &str,
    video: bool,
    limits: Limits,
) -> Result<String, DownloadError> {
    let io = |path: &Path, e: std::io::Error| DownloadError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let work = async {
        let mut response = http
            .get(url)
            .send()
            .await
            .map_err(|e| DownloadError::transport(&e))?;
        let status = response.status().as_u16();
        if status >= 400 {
            return Err(DownloadError::Status(status));
        }
        if response
            .content_length()
            .is_some_and(|n| n > limits.max_bytes)
        {
            return Err(DownloadError::TooLarge(limits.max_bytes));
        }
        let kind = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // A CDN's error page can come with 200: only media are kept.
        if let Some(k) = kind.as_deref().filter(|k| !is_media_type(k)) {
            return Err(DownloadError::NotMedia(k.to_string()));
        }
        let name = format!("{stem}.{}", extension(kind.as_deref(), url, video));
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let part = dir.join(format!(".{name}.part"));
        let result = async {
            use std::io::Write;
            let mut file = std::fs::File::create(&part).map_err(|e| io(&part, e))?;
            let mut got: u64 = 0;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| DownloadError::transport(&e))?
            {
                got += chunk.len() as u64;
                if got > limits.max_bytes {
                    return Err(DownloadError::TooLarge(limits.max_bytes));
                }
                file.write_all(&chunk).map_err(|e| io(&part, e))?;
            }
            file.sync_all().map_err(|e| io(&part, e))?;
            let fin: PathBuf = dir.join(&name);
            std::fs::rename(&part, &fin).map_err(|e| io(&fin, e))
        }
        .await;
        if result.is_err() {
            let _ = std::fs::remove_file(&part);
        }
        result.map(|()| name)
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(DownloadError::Timeout),
    }
}

/// `image/*`, `video/*`, or untyped bytes.
fn is_media_type(content_type: &str) -> bool {
    let t = content_type.trim().to_ascii_lowercase();
    t.starts_with("image/") || t.starts_with("video/") || t.starts_with("application/octet-stream")
}

/// A file extension for the bytes: the media type says it best; Meta's
/// paths end in the right one too.
fn extension(content_type: Option<&str>, url: &str, video: bool) -> &'static str {
    let essence = content_type
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match essence.as_str() {
        "image/jpeg" | "image/jpg" => return "jpg",
        "image/png" => return "png",
        "image/webp" => return "webp",
        "image/heic" => return "heic",
        "video/mp4" => return "mp4",
        "video/quicktime" => return "mov",
        _ => {}
    }
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
        Some(e) if e == "jpg" || e == "jpeg" => "jpg",
        Some(e) if e == "png" => "png",
        Some(e) if e == "webp" => "webp",
        Some(e) if e == "mp4" => "mp4",
        Some(e) if e == "mov" => "mov",
        _ if video => "mp4",
        _ => "jpg",
    }
}

/// Whether `url` can stand in a post file as it is: https, and no query
/// at all (Meta's CDN URLs always carry a signature and expire, so they
/// never qualify; a query is taken as one rather than guessed at).
pub fn linkable(url: &str) -> bool {
    url.starts_with("https://") && !url.contains('?') && !url.contains('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_comes_from_the_type_then_the_path() {
        assert_eq!(
            extension(Some("image/jpeg"), "https://x/a.png?oh=1", false),
            "jpg"
        );
        assert_eq!(
            extension(Some("video/mp4; codecs=x"), "https://x/a", false),
            "mp4"
        );
        assert_eq!(
            extension(None, "https://x/v/123_n.png?oh=1&oe=2", false),
            "png"
        );
        assert_eq!(
            extension(Some("application/octet-stream"), "https://x/v/1", true),
            "mp4"
        );
        assert_eq!(extension(None, "https://x/v/1", false), "jpg");
    }

    #[test]
    fn only_unsigned_https_urls_are_linkable() {
        assert!(linkable("https://media.example.org/a.jpg"));
        assert!(!linkable(
            "https://scontent.cdninstagram.com/v/a.jpg?oh=1&oe=2"
        ));
        assert!(!linkable("http://media.example.org/a.jpg"));
    }

    #[test]
    fn errors_never_hold_the_url() {
        for e in [
            DownloadError::Status(404),
            DownloadError::TooLarge(10),
            DownloadError::Timeout,
            DownloadError::Transport("could not connect"),
        ] {
            assert!(!e.to_string().contains("http"), "{e}");
        }
        assert!(DownloadError::Status(404).gone());
        assert!(is_media_type("image/jpeg") && is_media_type("video/mp4"));
        assert!(!is_media_type("text/html; charset=utf-8"));
        assert!(!DownloadError::Status(500).gone());
    }
}
