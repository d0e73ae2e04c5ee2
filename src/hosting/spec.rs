//! `[media] store` and its keys, read and checked when postwright.toml is
//! loaded: no network and no credentials are needed to know that a store
//! URL, an endpoint or a `public_url` template cannot work.

use crate::config::Media;
use std::time::Duration;

/// Presigned GET URLs live this long unless `url_ttl_secs` says otherwise.
///
/// Meta fetches an image when its container is made and a video while it
/// processes it, which apply waits for at most `[api] max_wait_secs` (300 s
/// by default): an hour is twelve times that, yet a URL that leaks is
/// useless an hour later. A URL is signed right before its container is
/// made, so the hour starts then, not at plan time.
pub const DEFAULT_URL_TTL_SECS: u64 = 3600;
/// SigV4 presigned URLs (S3) and GCS V4 signed URLs live at most 7 days.
pub const MAX_URL_TTL_SECS: u64 = 7 * 24 * 3600;
/// Longest wait for one request to the store (a 16 MiB part at about
/// 2 Mbit/s); retries are bounded too, so a store that hangs fails the
/// post in bounded time.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// Which service the store URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// AWS S3 and every S3-compatible service (R2, B2, MinIO, Spaces).
    S3,
    /// Google Cloud Storage.
    Gcs,
    /// Azure Blob Storage.
    Azure,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::Gcs => "gs",
            Scheme::Azure => "az",
        }
    }
}

/// A checked `[media] store` with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSpec {
    pub scheme: Scheme,
    /// The bucket (Azure: the container).
    pub bucket: String,
    /// The folder inside the bucket, without leading or trailing `/`; may
    /// be empty.
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub url_ttl: Duration,
    /// `https://media.example.com/{key}`: a CDN in front of the bucket.
    pub public_url: Option<String>,
    pub timeout: Duration,
}

/// A `[media]` key that cannot work, with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The key to point at in postwright.toml.
    pub key: &'static str,
    pub message: String,
    pub help: Option<String>,
}

fn error(key: &'static str, message: String, help: &str) -> SpecError {
    SpecError {
        key,
        message,
        help: (!help.is_empty()).then(|| help.to_string()),
    }
}

impl StoreSpec {
    /// The store the `[media]` table describes, `None` without `store`.
    pub fn from_media(media: &Media) -> Result<Option<StoreSpec>, SpecError> {
        let Some(store) = media.store.as_deref() else {
            for (key, set) in [
                ("endpoint", media.endpoint.is_some()),
                ("region", media.region.is_some()),
                ("url_ttl_secs", media.url_ttl_secs.is_some()),
                ("public_url", media.public_url.is_some()),
                ("timeout_secs", media.timeout_secs.is_some()),
            ] {
                if set {
                    return Err(error(
                        key,
                        format!("`{key}` is a setting of `store`, which is not set"),
                        "add `store = \"s3://bucket/prefix\"` (or gs://, az://), or remove it",
                    ));
                }
            }
            return Ok(None);
        };
        let (scheme, bucket, prefix) = parse_store(store)?;
        if media.upload_command.is_some() {
            return Err(error("upload_command", "`upload_command` and `store` both say where repo media go".into(), "keep one: `store` uploads the files itself; `upload_command` is for hosting the stores do not cover"));
        }
        if media.base_url.is_some() {
            return Err(error(
                "base_url",
                "`base_url` and `store` both say where Meta fetches repo media".into(),
                "remove `base_url`: with `store`, Meta fetches each file from the store",
            ));
        }
        let endpoint = media.endpoint.as_deref().map(check_endpoint).transpose()?;
        if media.region.is_some() && scheme != Scheme::S3 {
            return Err(error(
                "region",
                format!("`region` is for s3:// stores, not {}://", scheme.name()),
                "remove it",
            ));
        }
        let ttl = media.url_ttl_secs.unwrap_or(DEFAULT_URL_TTL_SECS);
        if ttl == 0 || ttl > MAX_URL_TTL_SECS {
            return Err(error("url_ttl_secs", format!("url_ttl_secs = {ttl}: a presigned URL lives from 1 s to 7 days (604800 s)"), "leave it out for the default, 3600 (an hour: Meta fetches the media while apply waits for its container)"));
        }
        let timeout = media.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
        if timeout == 0 || timeout > 3600 {
            return Err(error(
                "timeout_secs",
                format!("timeout_secs = {timeout}: give 1 to 3600 seconds"),
                "leave it out for the default, 60",
            ));
        }
        let public_url = media
            .public_url
            .as_deref()
            .map(check_public_url)
            .transpose()?;
        Ok(Some(StoreSpec {
            scheme,
            bucket,
            prefix,
            endpoint,
            region: media.region.clone(),
            url_ttl: Duration::from_secs(ttl),
            public_url,
            timeout: Duration::from_secs(timeout),
        }))
    }

    /// The object key of a file: `<prefix>/<sha256>.<ext>`. The name is
    /// the content, so a file is uploaded once, whatever its name and
    /// however many posts use it, and an edited file gets a new key.
    pub fn key(&self, sha256_hex: &str, ext: &str) -> String {
        let name = if ext.is_empty() {
            sha256_hex.to_string()
        } else {
            format!("{sha256_hex}.{ext}")
        };
        if self.prefix.is_empty() {
            name
        } else {
            format!("{}/{name}", self.prefix)
        }
    }

    /// `s3://bucket/key`: where an object is, for people (no secret in it).
    pub fn address(&self, key: &str) -> String {
        format!("{}://{}/{key}", self.scheme.name(), self.bucket)
    }

    /// The store itself, `s3://bucket/prefix`.
    pub fn describe(&self) -> String {
        self.address(&self.prefix).trim_end_matches('/').to_string()
    }

    /// `public_url` with the key put in.
    pub fn public(&self, key: &str) -> Option<String> {
        self.public_url.as_ref().map(|t| t.replace("{key}", key))
    }
}

/// The extension an object gets: the file's, lower-cased (`IMG.JPG` →
/// `jpg`), so the store serves it with the right type.
pub fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= 8
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            ext.to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

fn parse_store(store: &str) -> Result<(Scheme, String, String), SpecError> {
    let help = "write `s3://bucket/prefix` (AWS S3, or R2, B2, MinIO, Spaces with `endpoint`), `gs://bucket/prefix` or `az://container/prefix`";
    let Some((scheme, rest)) = store.split_once("://") else {
        return Err(error(
            "store",
            format!("store `{store}` is not a store URL"),
            help,
        ));
    };
    let scheme = match scheme {
        "s3" => Scheme::S3,
        "gs" => Scheme::Gcs,
        "az" => Scheme::Azure,
        other => {
            return Err(error(
                "store",
                format!("unknown store scheme `{other}://`"),
                help,
            ))
        }
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.contains(['@', ':']) {
        return Err(error("store", "the store URL holds credentials; postwright.toml never does".into(), "take them out (and rotate them: the file is in git); credentials come from the environment, see docs/media-store.md"));
    }
    let name_ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
    if bucket.is_empty() || !bucket.bytes().all(name_ok) {
        return Err(error(
            "store",
            format!("`{bucket}` is not a bucket name"),
            help,
        ));
    }
    let prefix = prefix.trim_matches('/');
    let segment_ok = |s: &str| {
        !s.is_empty() && s != "." && s != ".." && s.bytes().all(|b| name_ok(b) || b == b'~')
    };
    if !prefix.is_empty() && !prefix.split('/').all(segment_ok) {
        return Err(error(
            "store",
            format!("the prefix `{prefix}` is not a plain folder path"),
            "use letters, digits, `-`, `_`, `.` and `/` between folders",
        ));
    }
    Ok((scheme, bucket.to_string(), prefix.to_string()))
}

fn check_endpoint(endpoint: &str) -> Result<String, SpecError> {
    let Some(host) = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
    else {
        return Err(error("endpoint", format!("endpoint `{endpoint}` is not an http(s) URL"), "e.g. `https://<account>.r2.cloudflarestorage.com` or `https://s3.us-west-004.backblazeb2.com`"));
    };
    if host.contains(['@', '?', '#']) || host.is_empty() {
        return Err(error(
            "endpoint",
            format!("endpoint `{endpoint}` must be a plain URL: no credentials, query or fragment"),
            "credentials come from the environment, see docs/media-store.md",
        ));
    }
    Ok(endpoint.trim_end_matches('/').to_string())
}

fn check_public_url(template: &str) -> Result<String, SpecError> {
    if !template.contains("{key}") {
        return Err(error(
            "public_url",
            format!("public_url `{template}` has no `{{key}}`"),
            "e.g. `https://media.example.com/{key}`: {key} is the object's key, `<prefix>/<sha256>.<ext>`",
        ));
    }
    if !(template.starts_with("https://") || template.starts_with("http://")) {
        return Err(error(
            "public_url",
            format!("public_url `{template}` is not an http(s) URL"),
            "Meta fetches media over https: e.g. `https://media.example.com/{key}`",
        ));
    }
    let others = template.replace("{key}", "");
    if others.contains(['{', '}']) {
        return Err(error(
            "public_url",
            format!("public_url `{template}` has a placeholder other than `{{key}}`"),
            "only {key} is filled in",
        ));
    }
    Ok(template.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(store: &str) -> Media {
        Media {
            store: Some(store.into()),
            ..Media::default()
        }
    }

    fn err(m: Media) -> SpecError {
        StoreSpec::from_media(&m).unwrap_err()
    }

    #[test]
    fn store_urls() {
        let s = StoreSpec::from_media(&media("s3://kiln-media/feed/media/"))
            .unwrap()
            .unwrap();
        assert_eq!((s.scheme, s.bucket.as_str()), (Scheme::S3, "kiln-media"));
        assert_eq!(s.key("ab12", "jpg"), "feed/media/ab12.jpg");
        assert_eq!(s.address("k.jpg"), "s3://kiln-media/k.jpg");
        assert_eq!(s.describe(), "s3://kiln-media/feed/media");
        assert_eq!(s.url_ttl, Duration::from_secs(3600));
        let s = StoreSpec::from_media(&media("gs://b")).unwrap().unwrap();
        assert_eq!(
            (s.key("ab", "mp4"), s.describe()),
            ("ab.mp4".into(), "gs://b".into())
        );
        assert_eq!(
            StoreSpec::from_media(&media("az://c/p"))
                .unwrap()
                .unwrap()
                .scheme,
            Scheme::Azure
        );
        assert_eq!(StoreSpec::from_media(&Media::default()), Ok(None));
    }

    #[test]
    fn bad_stores_name_the_key() {
        let e = err(media("ftp://bucket"));
        assert_eq!(e.key, "store");
        assert!(e.message.contains("unknown store scheme `ftp://`"));
        assert!(err(media("bucket/prefix"))
            .message
            .contains("not a store URL"));
        assert!(err(media("s3://AKIA:secret@bucket"))
            .message
            .contains("credentials"));
        assert!(err(media("s3://b/a/../c")).message.contains("prefix"));
        assert!(err(media("s3://")).message.contains("bucket"));
        let e = err(Media {
            public_url: Some("https://cdn.example.com/".into()),
            ..media("s3://b")
        });
        assert_eq!(e.key, "public_url");
        assert!(e.message.contains("{key}"));
        for ttl in [0, MAX_URL_TTL_SECS + 1] {
            let e = err(Media {
                url_ttl_secs: Some(ttl),
                ..media("s3://b")
            });
            assert_eq!(e.key, "url_ttl_secs");
        }
        let e = err(Media {
            region: Some("eu".into()),
            ..media("gs://b")
        });
        assert_eq!(e.key, "region");
        let e = err(Media {
            endpoint: Some("ftp://x".into()),
            ..media("s3://b")
        });
        assert_eq!(e.key, "endpoint");
        let e = err(Media {
            upload_command: Some("up {path}".into()),
            ..media("s3://b")
        });
        assert_eq!(e.key, "upload_command");
        let e = err(Media {
            public_url: Some("https://x/{key}".into()),
            ..Media::default()
        });
        assert_eq!(e.key, "public_url");
        assert!(e.message.contains("`store`"));
    }

    #[test]
    fn extensions() {
        assert_eq!(extension("media/IMG_1.JPG"), "jpg");
        assert_eq!(extension("media/reel.mov"), "mov");
        assert_eq!(extension("media/.hidden"), "");
        assert_eq!(extension("media/no-ext"), "");
        assert_eq!(extension("a.b/c"), "");
    }
}
