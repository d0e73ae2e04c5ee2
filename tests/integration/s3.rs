//! A real S3-protocol server for the tests: `s3s-fs` (the s3s project's
//! file-system store), which checks SigV4 signatures — wrong, tampered
//! and expired ones are refused — on 127.0.0.1, a port of its own and a
//! temporary folder. `.ci/run` installs it (`cargo install s3s-fs
//! --version 0.14.1 --locked --features binary`); without it the tests
//! that need it say "skipped", or fail under POSTWRIGHT_REQUIRE_TOOLS=1.

use crate::common::tool;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Recognisable, so a leak anywhere is easy to find.
pub const ACCESS_KEY: &str = "AKIATESTPOSTWRIGHT01";
pub const SECRET_KEY: &str = "s3cr3t-Pw-7f3a9c-DO-NOT-PRINT";
pub const BUCKET: &str = "kiln-media";

/// A running s3s-fs; stopped when dropped.
pub struct S3Server {
    child: Child,
    root: tempfile::TempDir,
    pub port: u16,
}

impl S3Server {
    /// s3s-fs with the test's keys and an empty bucket [`BUCKET`]; `None`
    /// (the test is skipped) when s3s-fs is not installed.
    pub fn start() -> Option<S3Server> {
        let bin = tool("s3s-fs")?;
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let port = free_port();
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs starts");
        let server = S3Server { child, root, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    /// `http://127.0.0.1:PORT`, for `[media] endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The objects of [`BUCKET`] as files: (key, size, modified).
    pub fn objects(&self) -> Vec<(String, u64, SystemTime)> {
        let mut out = Vec::new();
        walk(&self.root.path().join(BUCKET), "", &mut out);
        out.sort();
        out
    }

    pub fn dir(&self) -> &Path {
        self.root.path()
    }

    /// The bytes of an object.
    pub fn read(&self, key: &str) -> Vec<u8> {
        std::fs::read(self.root.path().join(BUCKET).join(key)).unwrap()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, u64, SystemTime)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        // s3s-fs keeps its own records (metadata, uploads in progress)
        // beside the objects, under dot-names.
        if name.starts_with('.') {
            continue;
        }
        let key = format!("{prefix}{name}");
        let meta = e.metadata().unwrap();
        if meta.is_dir() {
            walk(&e.path(), &format!("{key}/"), out);
        } else {
            out.push((key, meta.len(), meta.modified().unwrap()));
        }
    }
}

/// A port nothing listens on now (the OS's choice, released at once).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A listener that accepts connections and never answers: a store that
/// hangs. It lives as long as the value.
pub struct Hang {
    pub port: u16,
    _listener: TcpListener,
    _held: std::sync::Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

impl Hang {
    pub fn start() -> Hang {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let accept = listener.try_clone().unwrap();
        let keep = held.clone();
        std::thread::spawn(move || {
            for stream in accept.incoming().flatten() {
                keep.lock().unwrap().push(stream);
            }
        });
        Hang {
            port,
            _listener: listener,
            _held: held,
        }
    }
}

/// Every file under `dir`, for greps of secrets.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
