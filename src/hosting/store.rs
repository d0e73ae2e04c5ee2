//! `[media] store`: repo media uploaded to object storage (S3 and every
//! S3-compatible service, GCS, Azure) through the `object_store` crate,
//! each file once under its content's name, then offered to Meta as a
//! presigned GET URL (or `public_url`) that was fetched once before use.
//!
//! Credentials come from the environment through the builders'
//! `from_env()` (the standard chains: AWS variables and web identity,
//! instance metadata, `GOOGLE_APPLICATION_CREDENTIALS`, Azure's); they stay
//! in memory and in request headers. A presigned URL is a credential
//! until it expires: messages name the object's key, never the URL.

use super::spec::{Scheme, StoreSpec};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path as Key;
use object_store::signer::Signer;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt,
    PutMultipartOptions, PutOptions, PutPayload, RetryConfig, WriteMultipart,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::sync::{OnceCell, Semaphore};

/// Files larger than this go up in parts (S3 parts are at least 5 MiB).
const MULTIPART_OVER: u64 = 16 * 1024 * 1024;
const PART: usize = 8 * 1024 * 1024;
/// Parts of one file in flight at once.
const PARTS_AT_ONCE: usize = 2;
/// Files uploaded at once: a few connections, and at most
/// `UPLOADS_AT_ONCE × PARTS_AT_ONCE` parts buffered in memory.
const UPLOADS_AT_ONCE: usize = 4;

/// Why a repo file could not be offered from the store. Each names the
/// file and the object's key, never a URL with a signature.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("the media store {store} cannot be used: {why}")]
    Open { store: String, why: String },
    #[error("{path}: cannot read it: {why}")]
    Read { path: String, why: String },
    #[error("{path}: uploading it to {address} failed: {why}")]
    Upload {
        path: String,
        address: String,
        why: String,
    },
    #[error("{path}: no URL for {address}: {why}")]
    Sign {
        path: String,
        address: String,
        why: String,
    },
    #[error("{path}: {address} cannot be fetched as Meta would: {why}; nothing was sent to the platform")]
    Unreachable {
        path: String,
        address: String,
        why: String,
    },
}

/// A file in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub key: String,
    pub bytes: u64,
    /// Uploaded by this run (false: it was there already).
    pub uploaded: bool,
}

/// What this run put in the store, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Uploads {
    /// The store, `s3://bucket/prefix`.
    pub store: String,
    /// Files uploaded, and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// Files already in the store (not sent again).
    pub present: u64,
    /// Files that could not be put there.
    pub failed: u64,
}

#[derive(Default)]
struct Tally {
    done: Uploads,
    /// Files going up now: (bytes sent, size), by repo path.
    active: BTreeMap<String, (u64, u64)>,
    /// Lines for apply's progress, not yet printed.
    lines: Vec<String>,
}

type Once = Arc<OnceCell<Result<Stored, StoreError>>>;

/// The run's media store: opened once, shared by every post's build.
pub struct MediaStore {
    spec: StoreSpec,
    repo: PathBuf,
    backend: Result<Backend, String>,
    /// One upload per file per run, however many posts use it.
    files: Mutex<HashMap<String, Once>>,
    /// The bucket looked at once per run, before the first upload.
    bucket: OnceCell<Result<(), String>>,
    slots: Semaphore,
    tally: Mutex<Tally>,
    http: reqwest::Client,
}

struct Backend {
    objects: Arc<dyn ObjectStore>,
    signer: Arc<dyn Signer>,
}

impl Backend {
    /// One client serves both: it stores, and it signs with the same
    /// credentials.
    fn of<S: ObjectStore + Signer>(store: S) -> Backend {
        let store = Arc::new(store);
        Backend {
            objects: store.clone(),
            signer: store,
        }
    }
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("store", &self.spec.describe())
            .finish_non_exhaustive()
    }
}

impl MediaStore {
    /// Opens the store with the environment's credentials. A store that
    /// cannot be opened is kept as such: each post using it is deferred
    /// with the reason.
    pub fn open(spec: &StoreSpec, repo: &Path) -> MediaStore {
        let http = reqwest::Client::builder()
            .timeout(spec.timeout)
            .connect_timeout(spec.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| e.to_string());
        let backend = http
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|_| backend(spec));
        MediaStore {
            spec: spec.clone(),
            repo: repo.to_path_buf(),
            backend,
            files: Mutex::new(HashMap::new()),
            bucket: OnceCell::new(),
            slots: Semaphore::new(UPLOADS_AT_ONCE),
            tally: Mutex::new(Tally {
                done: Uploads {
                    store: spec.describe(),
                    ..Uploads::default()
                },
                ..Tally::default()
            }),
            http: http.unwrap_or_default(),
        }
    }

    /// The URL Meta fetches `path` (relative to the repo) from: the file
    /// uploaded if it is not in the store yet, a presigned GET URL (or
    /// `public_url`) made, and fetched once to see it answers with the
    /// file's size.
    pub async fn offer(&self, path: &str, size: u64) -> Result<String, StoreError> {
        let stored = self.put(path, size).await?;
        let address = self.spec.address(&stored.key);
        let backend = self.backend()?;
        let (url, presigned) = match self.spec.public(&stored.key) {
            Some(url) => (url, false),
            None => {
                let key = Key::parse(&stored.key).map_err(|e| StoreError::Sign {
                    path: path.into(),
                    address: address.clone(),
                    why: e.to_string(),
                })?;
                let url = backend
                    .signer
                    .signed_url(reqwest::Method::GET, &key, self.spec.url_ttl)
                    .await
                    .map_err(|e| StoreError::Sign {
                        path: path.into(),
                        address: address.clone(),
                        why: cause(&e),
                    })?;
                (url.to_string(), true)
            }
        };
        let checked = if presigned {
            super::check_presigned(&self.http, &url, size).await
        } else {
            super::check_reachable(&self.http, &url, size).await
        };
        checked.map_err(|why| StoreError::Unreachable {
            path: path.into(),
            address,
            why: super::redact::urls(&why),
        })?;
        Ok(url)
    }

    fn backend(&self) -> Result<&Backend, StoreError> {
        self.backend.as_ref().map_err(|why| StoreError::Open {
            store: self.spec.describe(),
            why: why.clone(),
        })
    }

    /// The file in the store: uploaded once per run, skipped when its key
    /// is there already with its size.
    pub async fn put(&self, path: &str, size: u64) -> Result<Stored, StoreError> {
        let once = {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            files.entry(path.to_string()).or_default().clone()
        };
        once.get_or_init(|| async {
            let result = self.put_once(path, size).await;
            let mut tally = self.tally();
            tally.active.remove(path);
            match &result {
                Ok(s) if s.uploaded => {
                    tally.done.files += 1;
                    tally.done.bytes += s.bytes;
                    let line = format!(
                        "↑ {path}: uploaded to {} ({})",
                        self.spec.address(&s.key),
                        megabytes(s.bytes)
                    );
                    tally.lines.push(line);
                }
                Ok(_) => tally.done.present += 1,
                Err(_) => tally.done.failed += 1,
            }
            result
        })
        .await
        .clone()
    }

    /// Lists the first page under the prefix, once per run: a bucket
    /// that does not exist is said as such (S3 answers a HEAD for a key
    /// in a missing bucket with a bare 404, and some S3-compatible
    /// servers create the bucket on the first PUT).
    async fn bucket(&self, backend: &Backend) -> Result<(), String> {
        use futures_util::StreamExt;
        self.bucket
            .get_or_init(|| async {
                let prefix =
                    (!self.spec.prefix.is_empty()).then(|| Key::from(self.spec.prefix.as_str()));
                match backend.objects.list(prefix.as_ref()).next().await {
                    None | Some(Ok(_)) => Ok(()),
                    Some(Err(e)) => Err(cause(&e)),
                }
            })
            .await
            .clone()
    }

    async fn put_once(&self, path: &str, size: u64) -> Result<Stored, StoreError> {
        let backend = self.backend()?;
        let _slot = self.slots.acquire().await;
        self.bucket(backend)
            .await
            .map_err(|why| StoreError::Upload {
                path: path.into(),
                address: self.spec.describe(),
                why,
            })?;
        let file = self.repo.join(path);
        let read = |e: std::io::Error| StoreError::Read {
            path: path.into(),
            why: e.to_string(),
        };
        // Small files are read once (hash and body); large ones hashed,
        // then streamed in parts.
        let small = match size <= MULTIPART_OVER {
            true => Some(tokio::fs::read(&file).await.map_err(read)?),
            false => None,
        };
        let sha = match &small {
            Some(bytes) => crate::hex::hex(&Sha256::digest(bytes)),
            None => {
                let file = file.clone();
                tokio::task::spawn_blocking(move || crate::plan::hash::hash_file(&file))
                    .await
                    .map_err(|e| read(std::io::Error::other(e)))?
                    .map_err(read)?
            }
        };
        let key = self.spec.key(&sha, &super::spec::extension(path));
        let address = self.spec.address(&key);
        let upload_error = |why: String| StoreError::Upload {
            path: path.into(),
            address: address.clone(),
            why,
        };
        let location = Key::parse(&key).map_err(|e| upload_error(e.to_string()))?;
        let bytes = small.as_ref().map_or(size, |b| b.len() as u64);
        match backend.objects.head(&location).await {
            Ok(meta) if meta.size == bytes => {
                return Ok(Stored {
                    key,
                    bytes,
                    uploaded: false,
                })
            }
            // Absent, or a broken copy: (re)upload.
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(upload_error(cause(&e))),
        }
        self.tally().active.insert(path.to_string(), (0, bytes));
        let attributes = Attributes::from_iter([(Attribute::ContentType, content_type(path))]);
        crate::failpoints::hit("store.upload.before").map_or(Ok(()), |m| Err(upload_error(m)))?;
        match small {
            Some(body) => {
                let opts = PutOptions {
                    attributes,
                    ..PutOptions::default()
                };
                let body = PutPayload::from(body);
                backend
                    .objects
                    .put_opts(&location, body, opts)
                    .await
                    .map_err(|e| upload_error(cause(&e)))?;
            }
            None => {
                self.put_parts(backend, &location, &file, path, attributes)
                    .await
                    .map_err(upload_error)?;
            }
        }
        crate::failpoints::hit("store.upload.after").map_or(Ok(()), |m| Err(upload_error(m)))?;
        Ok(Stored {
            key,
            bytes,
            uploaded: true,
        })
    }

    /// A large file in parts, a few at once, counting the bytes sent.
    async fn put_parts(
        &self,
        backend: &Backend,
        location: &Key,
        file: &Path,
        path: &str,
        attributes: Attributes,
    ) -> Result<(), String> {
        let opts = PutMultipartOptions {
            attributes,
            ..PutMultipartOptions::default()
        };
        let upload = backend
            .objects
            .put_multipart_opts(location, opts)
            .await
            .map_err(|e| cause(&e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut reader = tokio::fs::File::open(file)
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 1024 * 1024];
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(format!("reading the file: {e}"));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = writer.wait_for_capacity(PARTS_AT_ONCE).await {
                let _ = writer.abort().await;
                return Err(cause(&e));
            }
            writer.write(&buf[..n]);
            if let Some(sent) = self.tally().active.get_mut(path) {
                sent.0 += n as u64;
            }
        }
        writer.finish().await.map_err(|e| cause(&e))?;
        Ok(())
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Progress lines not yet printed (one per file uploaded).
    pub fn take_lines(&self) -> Vec<String> {
        std::mem::take(&mut self.tally().lines)
    }

    /// What is going up now: `uploading 2 files to s3://b/p: 3.1 of 40.2 MB`.
    pub fn status(&self) -> Option<String> {
        let tally = self.tally();
        if tally.active.is_empty() {
            return None;
        }
        let (sent, total) = tally
            .active
            .values()
            .fold((0, 0), |(s, t), (a, b)| (s + a, t + b));
        let n = tally.active.len();
        Some(format!(
            "uploading {n} file{} to {}: {} of {}",
            if n == 1 { "" } else { "s" },
            self.spec.describe(),
            megabytes(sent),
            megabytes(total)
        ))
    }

    /// What this run put in the store.
    pub fn uploads(&self) -> Uploads {
        self.tally().done.clone()
    }
}

fn backend(spec: &StoreSpec) -> Result<Backend, String> {
    let http_endpoint = spec
        .endpoint
        .as_deref()
        .is_some_and(|e| e.starts_with("http://"));
    let options = ClientOptions::new()
        .with_timeout(spec.timeout)
        .with_connect_timeout(spec.timeout.min(Duration::from_secs(10)))
        .with_allow_http(http_endpoint);
    // Few retries within a bounded time: a store that hangs defers the
    // post in about three timeouts, not object_store's default 3 minutes.
    let retry = RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: 2,
        retry_timeout: spec.timeout * 3,
    };
    let built: Result<Backend, object_store::Error> = match spec.scheme {
        Scheme::S3 => {
            let mut b = AmazonS3Builder::from_env()
                .with_bucket_name(&spec.bucket)
                .with_client_options(options)
                .with_retry(retry);
            if let Some(region) = &spec.region {
                b = b.with_region(region);
            }
            if let Some(endpoint) = &spec.endpoint {
                b = b.with_endpoint(endpoint);
            }
            b.build().map(Backend::of)
        }
        Scheme::Gcs => {
            let mut b = GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(&spec.bucket)
                .with_client_options(options)
                .with_retry(retry);
            if let Some(endpoint) = &spec.endpoint {
                b = b.with_base_url(endpoint);
            }
            b.build().map(Backend::of)
        }
        Scheme::Azure => {
            let mut b = MicrosoftAzureBuilder::from_env()
                .with_container_name(&spec.bucket)
                .with_client_options(options)
                .with_retry(retry);
            if let Some(endpoint) = &spec.endpoint {
                b = b.with_endpoint(endpoint.clone());
            }
            b.build().map(Backend::of)
        }
    };
    built.map_err(|e| cause(&e))
}

/// An object_store error in plain words: what it means for the post,
/// with the HTTP status when there was one. The store's own text is left
/// out: it is long, and S3 error bodies may quote the request's
/// signature.
fn cause(e: &object_store::Error) -> String {
    use object_store::Error as E;
    // The whole chain: a timeout is said three sources down.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(" / ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    let has = |codes: &[&str]| codes.iter().any(|c| text.contains(c));
    let status = text
        .split_once("status code: ")
        .and_then(|(_, rest)| rest.split(':').next())
        .map(|s| format!(" (HTTP {})", s.trim()))
        .unwrap_or_default();
    let what = if matches!(e, E::NotFound { .. }) || has(&["NoSuchBucket", "404 Not Found"]) {
        "the bucket does not exist (at this endpoint and region)"
    } else if matches!(e, E::PermissionDenied { .. } | E::Unauthenticated { .. })
        || has(&[
            "AccessDenied",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "403 Forbidden",
            "401 Unauthorized",
        ])
    {
        "the store refused the credentials: check the keys or role in the environment and its permissions (list, read and write under the prefix)"
    } else if has(&["timed out", "Timeout", "deadline has elapsed"]) {
        "the store did not answer in time (timeout_secs, three tries)"
    } else if has(&["error sending request", "Connect", "connection"]) {
        "the store could not be reached (endpoint, network)"
    } else {
        ""
    };
    if !what.is_empty() {
        return format!("{what}{status}");
    }
    // Anything else: the first line of the store's words, redacted and short.
    let own = e.to_string();
    let first = own
        .split("<?xml")
        .next()
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("");
    let redacted = super::redact::urls(first);
    let mut detail: String = redacted.chars().take(200).collect();
    if redacted.chars().count() > 200 {
        detail.push('…');
    }
    detail
}

fn content_type(path: &str) -> &'static str {
    match super::spec::extension(path).as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// `1.2 MB` (decimal, as upload tools show it).
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::cause;
    use object_store::Error;

    fn generic(text: &str) -> Error {
        Error::Generic {
            store: "S3",
            source: text.to_string().into(),
        }
    }

    #[test]
    fn store_errors_in_plain_words_without_the_store_body() {
        let missing = generic("Error performing list request: Server returned non-2xx status code: 404 Not Found: <?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code></Error>");
        assert_eq!(
            cause(&missing),
            "the bucket does not exist (at this endpoint and region) (HTTP 404 Not Found)"
        );
        let refused = generic("Server returned non-2xx status code: 403 Forbidden: <?xml?><Error><Code>SignatureDoesNotMatch</Code><SignatureProvided>abc</SignatureProvided></Error>");
        let said = cause(&refused);
        assert!(
            said.starts_with("the store refused the credentials"),
            "{said}"
        );
        assert!(!said.contains("abc"), "{said}");
        let other = generic("something odd at https://s3.example.com/b/k?X-Amz-Signature=abc");
        assert_eq!(
            cause(&other),
            "Generic S3 error: something odd at https://s3.example.com/b/k?<redacted>"
        );
    }
}
