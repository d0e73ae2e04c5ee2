//! The static media host (GET and HEAD, single byte ranges,
//! Content-Length), and the server's own fetches of media URLs, made the
//! way Meta's cURL makes them.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Response};
use std::path::Path;
use std::time::Duration;

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

pub(super) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn status(code: u16, text: &str) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "text/plain")
        .header("content-length", text.len().to_string())
        .body(Body::from(text.to_string()))
        .expect("static response")
}

/// Serves `path` (URL path, percent-encoded) from `root`.
pub(super) fn serve(
    root: Option<&Path>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Response<Body> {
    if method != Method::GET && method != Method::HEAD {
        return status(405, "method not allowed");
    }
    let Some(root) = root else {
        return status(404, "not found");
    };
    let rel = percent_decode(path.trim_start_matches('/'));
    if rel.is_empty() || rel.split('/').any(|s| s == ".." || s == ".") || rel.contains('\\') {
        return status(404, "not found");
    }
    // Like a public host: nothing outside the root, symlinks included.
    let inside = match (root.canonicalize(), root.join(&rel).canonicalize()) {
        (Ok(r), Ok(f)) => f.starts_with(r),
        _ => false,
    };
    let Some(bytes) = inside
        .then(|| std::fs::read(root.join(&rel)).ok())
        .flatten()
    else {
        return status(404, "not found");
    };
    let total = bytes.len();
    let range = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let builder = Response::builder()
        .header("accept-ranges", "bytes")
        .header("content-type", content_type(&rel));
    let (builder, body) = match range {
        Some(r) => match parse_range(r, total) {
            Some((a, b)) => (
                builder
                    .status(206)
                    .header("content-range", format!("bytes {a}-{b}/{total}"))
                    .header("content-length", (b - a + 1).to_string()),
                bytes[a..=b].to_vec(),
            ),
            None => {
                return Response::builder()
                    .status(416)
                    .header("content-range", format!("bytes */{total}"))
                    .header("content-length", "0")
                    .body(Body::empty())
                    .expect("416");
            }
        },
        None => (
            builder
                .status(200)
                .header("content-length", total.to_string()),
            bytes,
        ),
    };
    if method == Method::HEAD {
        return builder.body(Body::empty()).expect("HEAD");
    }
    builder.body(Body::from(body)).expect("GET")
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` → inclusive range within `total`.
fn parse_range(r: &str, total: usize) -> Option<(usize, usize)> {
    let spec = r.strip_prefix("bytes=")?;
    if spec.contains(',') || total == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: usize = n.parse().ok()?;
            if n == 0 {
                return None;
            }
            (total.saturating_sub(n), total - 1)
        }
        (a, "") => (a.parse().ok()?, total - 1),
        (a, b) => (a.parse().ok()?, b.parse::<usize>().ok()?.min(total - 1)),
    };
    (a <= b && a < total).then_some((a, b))
}

/// Why Meta could not get a media URL.
#[derive(Debug, Clone)]
pub(super) enum FetchError {
    /// Not a plain-ASCII http(s) URL.
    BadUrl,
    /// Not a host this server can reach (only 127.0.0.1 / localhost).
    Unreachable,
    Status(u16),
    Broken,
    /// Bytes that are not the file meant (see `MediaCheck`).
    WrongBytes,
}

/// [`fetch`], then with a `MediaCheck` the bytes checked: a registered
/// file, and when the URL's last segment is `<sha256>.<ext>` (a store
/// key), that very file. Each fetch is recorded.
pub(super) async fn fetch_checked(
    shared: &super::server::Shared,
    url: &str,
) -> Result<Vec<u8>, FetchError> {
    let check = shared.lock().cfg.media_check.clone();
    let Some(check) = check else {
        return fetch(&shared.http, url).await;
    };
    tokio::time::sleep(check.fetch_delay).await;
    let got = fetch(&shared.http, url).await;
    let sha = got.as_ref().ok().map(|b| {
        use sha2::Digest;
        postwright::hex::hex(&sha2::Sha256::digest(b))
    });
    let bare = url.split('?').next().unwrap_or(url).to_string();
    let named = bare
        .rsplit('/')
        .next()
        .and_then(|n| n.split('.').next())
        .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()));
    let ok = sha.as_ref().is_some_and(|s| {
        check.files.contains(s) && named.is_none_or(|n| n.eq_ignore_ascii_case(s))
    });
    shared.lock().fetches.push(super::Fetched {
        url: bare,
        sha256: sha,
        ok,
    });
    match got {
        Ok(_) if !ok => Err(FetchError::WrongBytes),
        other => other,
    }
}

/// GETs a media URL as Meta does: only local hosts are reachable here.
pub(super) async fn fetch(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, FetchError> {
    if !url.is_ascii() || url.chars().any(|c| c.is_ascii_whitespace()) {
        return Err(FetchError::BadUrl);
    }
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Err(FetchError::BadUrl);
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FetchError::BadUrl);
    }
    let local = matches!(
        parsed.host_str(),
        Some("127.0.0.1") | Some("localhost") | Some("[::1]")
    );
    if !local {
        return Err(FetchError::Unreachable);
    }
    let resp = http
        .get(parsed)
        .header("user-agent", "facebookexternalhit/1.1")
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(|_| FetchError::Unreachable)?;
    if resp.status().as_u16() != 200 {
        return Err(FetchError::Status(resp.status().as_u16()));
    }
    resp.bytes()
        .await
        .map(|b| b.to_vec())
        .map_err(|_| FetchError::Broken)
}
