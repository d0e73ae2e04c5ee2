//! The reference Bluesky PDS (`@atproto/pds` with an in-memory PLC
//! directory, tests/pds/start.mjs) as a test server: [`Pds::start`] runs it
//! on 127.0.0.1 and offers accounts, app passwords and reading back what was
//! published. `tests/pds/install.sh` installs it (`.ci/run` does) into
//! tests/pds/node_modules, with the Node 22 it needs at
//! tests/pds/node_modules/node/bin/node (`POSTWRIGHT_NODE` names another
//! Node >= 22). Without them the tests that need it say "skipped" and why, or
//! fail under POSTWRIGHT_REQUIRE_TOOLS=1.
//!
//! The smoke tests at the end prove the harness with plain HTTP calls and pin
//! the PDS's answers the fault server (tests/integration/bluesky) mirrors.
//! Measured here (@atproto/pds 0.5.35, Node 22.23.3, 2 shared cores):
//!
//! - start to healthy about 1.5 s; the process about 230 MB RSS;
//! - install (tests/pds/install.sh, fresh) 1.5–2 min, 558 MB;
//! - without `PDS_DEV_MODE=true` it does not start on http ("Resource URL
//!   must use the https scheme"); with it the PLC URL works as localhost and
//!   as 127.0.0.1; start.mjs uses localhost;
//! - `app.listen(port)` binds every interface: start.mjs binds 127.0.0.1.

#![allow(dead_code)]

use crate::common::root;
use hmac::{KeyInit, Mac};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long start.mjs may take to print its line (it takes about 2 s).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Every call to the PDS is bounded.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of one PDS.
#[derive(Debug, Clone, Default)]
pub struct PdsOptions {
    /// `PDS_BLOB_UPLOAD_LIMIT` in bytes (the PDS's default: 5 MiB).
    pub blob_upload_limit: Option<u64>,
    /// `PDS_RATE_LIMITS_ENABLED` (off by default in a self-run PDS).
    pub rate_limits: bool,
}

/// A running reference PDS; the process ends when this is dropped (and on
/// its own when the test process dies: start.mjs exits when its stdin
/// closes).
pub struct Pds {
    child: Child,
    _stdin: ChildStdin,
    url: String,
    plc_url: String,
    jwt_secret: String,
    /// What start.mjs measured from its start to the health check answering.
    pub start_ms: u64,
}

/// An account made with `com.atproto.server.createAccount`, with the
/// session that came with it.
#[derive(Debug, Clone)]
pub struct Account {
    pub did: String,
    pub handle: String,
    pub password: String,
    pub access_jwt: String,
    pub refresh_jwt: String,
}

impl Pds {
    /// A PDS with default settings; `None` (the test is skipped, it says
    /// why) when Node >= 22 or tests/pds/node_modules is missing.
    pub fn start() -> Option<Pds> {
        Pds::start_with(&PdsOptions::default())
    }

    pub fn start_with(opts: &PdsOptions) -> Option<Pds> {
        let node = match installed() {
            Ok(node) => node,
            Err(why) => {
                skip(&why);
                return None;
            }
        };
        let mut cmd = Command::new(node);
        cmd.arg(pds_dir().join("start.mjs"))
            .current_dir(pds_dir())
            .env_remove("PDS_BLOB_UPLOAD_LIMIT")
            .env_remove("PDS_PORT")
            .env_remove("PLC_PORT")
            .env("PDS_RATE_LIMITS_ENABLED", opts.rate_limits.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(limit) = opts.blob_upload_limit {
            cmd.env("PDS_BLOB_UPLOAD_LIMIT", limit.to_string());
        }
        let mut child = cmd.spawn().expect("node runs tests/pds/start.mjs");
        let stdin = child.stdin.take().expect("stdin");
        let stderr = drain(child.stderr.take().expect("stderr"));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            // The line is the first one that is a JSON object; reading on
            // keeps the pipe from filling.
            let first = lines.find(|l| !matches!(l, Ok(l) if !l.starts_with('{')));
            let _ = tx.send(first);
            for _ in lines {}
        });
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "tests/pds/start.mjs printed no line within {START_TIMEOUT:?} ({other:?}); \
                     its stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        let info: Value = serde_json::from_str(&line).expect("start.mjs prints JSON");
        let field = |k: &str| info[k].as_str().expect(k).to_string();
        Some(Pds {
            url: field("pds"),
            plc_url: field("plc"),
            jwt_secret: field("jwtSecret"),
            start_ms: info["startMs"].as_u64().expect("startMs"),
            child,
            _stdin: stdin,
        })
    }

    /// One PDS for the whole test binary (start costs ~2 s and ~230 MB):
    /// tests that share it make their own accounts ([`unique_name`]).
    pub fn shared() -> Option<&'static Pds> {
        static SHARED: OnceLock<Option<Pds>> = OnceLock::new();
        SHARED.get_or_init(Pds::start).as_ref()
    }

    /// `http://localhost:PORT`, the PDS's own public URL (for `pds =`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn plc_url(&self) -> &str {
        &self.plc_url
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `POST /xrpc/{nsid}` with a JSON body, none for `Null` (refreshSession
    /// takes none): (status, JSON body or Null).
    pub async fn post(&self, nsid: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
        let mut req = client().post(self.xrpc(nsid));
        if !body.is_null() {
            req = req.json(body);
        }
        send(with_bearer(req, bearer)).await
    }

    /// `GET /xrpc/{nsid}?query`: (status, JSON body or Null).
    pub async fn get(
        &self,
        nsid: &str,
        bearer: Option<&str>,
        query: &[(&str, &str)],
    ) -> (u16, Value) {
        let req = client().get(self.xrpc(nsid)).query(query);
        send(with_bearer(req, bearer)).await
    }

    /// `com.atproto.repo.uploadBlob` of raw bytes.
    pub async fn upload_blob(&self, bearer: &str, mime: &str, bytes: Vec<u8>) -> (u16, Value) {
        let req = client()
            .post(self.xrpc("com.atproto.repo.uploadBlob"))
            .header("content-type", mime)
            .body(bytes);
        send(with_bearer(req, Some(bearer))).await
    }

    pub fn xrpc(&self, nsid: &str) -> String {
        format!("{}/xrpc/{nsid}", self.url)
    }

    /// A new account `NAME.test` (`name` may already end in `.test`).
    pub async fn create_account(&self, name: &str) -> Account {
        let handle = if name.ends_with(".test") {
            name.to_string()
        } else {
            format!("{name}.test")
        };
        let password = format!("pw-{}-{}", std::process::id(), unique_name("x"));
        let email = format!("{}@example.com", handle.replace('.', "-"));
        let (status, v) = self
            .post(
                "com.atproto.server.createAccount",
                None,
                &json!({"handle": handle, "email": email, "password": password}),
            )
            .await;
        assert_eq!(status, 200, "createAccount {handle}: {v}");
        let s = |k: &str| v[k].as_str().expect(k).to_string();
        Account {
            did: s("did"),
            handle: s("handle"),
            password,
            access_jwt: s("accessJwt"),
            refresh_jwt: s("refreshJwt"),
        }
    }

    /// An app password (`xxxx-xxxx-xxxx-xxxx`) for the account, named `name`.
    pub async fn create_app_password(&self, account: &Account, name: &str) -> String {
        let (status, v) = self
            .post(
                "com.atproto.server.createAppPassword",
                Some(&account.access_jwt),
                &json!({"name": name}),
            )
            .await;
        assert_eq!(status, 200, "createAppPassword: {v}");
        v["password"].as_str().expect("password").to_string()
    }

    /// Every record of a collection, following the cursor (newest first, as
    /// the PDS lists them): each `{uri, cid, value}`.
    pub async fn list_records(&self, did: &str, collection: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("repo", did), ("collection", collection), ("limit", "100")];
            if let Some(c) = cursor.as_deref() {
                query.push(("cursor", c));
            }
            let (status, v) = self.get("com.atproto.repo.listRecords", None, &query).await;
            assert_eq!(status, 200, "listRecords {did} {collection}: {v}");
            let page = v["records"].as_array().expect("records").clone();
            let done = page.is_empty();
            out.extend(page);
            match v["cursor"].as_str() {
                Some(c) if !done => cursor = Some(c.to_string()),
                _ => return out,
            }
        }
    }

    /// `{uri, cid, value}` of one record; `None` when the PDS answers
    /// RecordNotFound.
    pub async fn get_record(&self, did: &str, collection: &str, rkey: &str) -> Option<Value> {
        let query = [("repo", did), ("collection", collection), ("rkey", rkey)];
        let (status, v) = self.get("com.atproto.repo.getRecord", None, &query).await;
        if status == 400 && v["error"] == "RecordNotFound" {
            return None;
        }
        assert_eq!(status, 200, "getRecord {did} {collection} {rkey}: {v}");
        Some(v)
    }

    /// The bytes of a blob (`com.atproto.sync.getBlob`).
    pub async fn get_blob(&self, did: &str, cid: &str) -> Vec<u8> {
        let r = client()
            .get(self.xrpc("com.atproto.sync.getBlob"))
            .query(&[("did", did), ("cid", cid)])
            .send()
            .await
            .expect("getBlob answers");
        assert_eq!(r.status().as_u16(), 200, "getBlob {did} {cid}");
        r.bytes().await.expect("blob").to_vec()
    }

    /// An access token for `did` as the PDS signs them, but expired an hour
    /// ago: what a run sees when its session outlives the token's 2 h.
    pub fn expired_access_token(&self, did: &str) -> String {
        let now = unix_now();
        let header = json!({"typ": "at+jwt", "alg": "HS256"});
        let claims = json!({
            "scope": "com.atproto.access",
            "aud": "did:web:localhost",
            "sub": did,
            "iat": now - 3 * 3600,
            "exp": now - 3600,
        });
        let signing_input = format!(
            "{}.{}",
            base64url(header.to_string().as_bytes()),
            base64url(claims.to_string().as_bytes())
        );
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.jwt_secret.as_bytes())
            .expect("any key length");
        mac.update(signing_input.as_bytes());
        let sig = mac.finalize().into_bytes();
        format!("{signing_input}.{}", base64url(&sig))
    }
}

impl Drop for Pds {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a future to its end on a runtime of its own: the harness's calls
/// from a test that is not async (one that runs the postwright binary).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// A name no other test in this process uses (`{prefix}{pid}n{count}`,
/// lowercase, a valid handle segment).
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}n{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A record key as Bluesky's post keys must be: a TID (13 characters of
/// base32-sortable, microseconds since 1970 and a 10-bit clock id), unique
/// in this process.
pub fn tid() -> String {
    static LAST: Mutex<u64> = Mutex::new(0);
    let mut last = LAST.lock().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_micros() as u64;
    *last = now.max(*last + 1);
    tid_from(*last, 0)
}

pub fn tid_from(micros: u64, clock_id: u16) -> String {
    const ALPHABET: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
    let v = ((micros & ((1 << 53) - 1)) << 10) | u64::from(clock_id & 0x3ff);
    (0..13)
        .map(|i| ALPHABET[((v >> (60 - 5 * i)) & 31) as usize] as char)
        .collect()
}

/// The tests/pds folder.
pub fn pds_dir() -> PathBuf {
    root().join("tests/pds")
}

/// The Node that runs the PDS: POSTWRIGHT_NODE, else the one
/// tests/pds/install.sh put in node_modules.
fn node_path() -> PathBuf {
    std::env::var_os("POSTWRIGHT_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| pds_dir().join("node_modules/node/bin/node"))
}

/// The Node to run start.mjs with, or why the PDS cannot run.
fn installed() -> Result<PathBuf, String> {
    let modules = pds_dir().join("node_modules");
    for package in ["@atproto/pds", "@did-plc/server", "better-sqlite3"] {
        if !modules.join(package).join("package.json").is_file() {
            return Err(format!(
                "the reference PDS is not installed ({} has no {package}; run tests/pds/install.sh)",
                modules.display()
            ));
        }
    }
    let node = node_path();
    let version = Command::new(&node)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .ok_or_else(|| {
            format!(
                "no Node at {} (run tests/pds/install.sh, or set POSTWRIGHT_NODE)",
                node.display()
            )
        })?;
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 22 {
        return Err(format!(
            "{} is Node {version}; the reference PDS needs Node >= 22",
            node.display()
        ));
    }
    Ok(node)
}

fn skip(why: &str) {
    assert!(
        std::env::var("POSTWRIGHT_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "{why}, and POSTWRIGHT_REQUIRE_TOOLS=1"
    );
    eprintln!("skipped: {why} (set POSTWRIGHT_REQUIRE_TOOLS=1 to fail instead)");
}

/// Reads a pipe to its end on a thread of its own, keeping the first 64 KiB
/// (start.mjs's error, when it fails).
fn drain(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let kept = Arc::new(Mutex::new(String::new()));
    let out = kept.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut kept = out.lock().unwrap();
            if kept.len() < 65_536 {
                kept.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    kept
}

/// A client per call: a test's runtime ends with the test, and a shared
/// client's pooled connections would die with it.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        .build()
        .expect("client")
}

fn with_bearer(req: reqwest::RequestBuilder, bearer: Option<&str>) -> reqwest::RequestBuilder {
    match bearer {
        Some(token) => req.bearer_auth(token),
        None => req,
    }
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.expect("the PDS answers");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

mod smoke;
