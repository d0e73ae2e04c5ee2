//! Listeners, the request pipeline (parse, fault, route, usage headers,
//! record, hook, answer), and connections that can be closed without an
//! answer.

use super::errors::{bare, meta, upload_error, Body, Out};
use super::state::{splitmix, unit, State, Throttle};
use super::{api, statics, Effect, Fault, Host, Login, Recorded, ServerConfig};
use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State as AxState};
use axum::http::{HeaderMap, Method, Response, Uri};
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use serde_json::json;
use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

pub(super) type Hook = Arc<dyn Fn(&Effect) + Send + Sync>;

pub(crate) struct Shared {
    state: Mutex<State>,
    pub hook: Mutex<Option<Hook>>,
    pub graph_url: String,
    pub upload_url: String,
    pub media_url: String,
    /// Meta's side of fetching media URLs.
    pub http: reqwest::Client,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Dropping it stops the server.
pub(crate) struct StopGuard {
    _tx: tokio::sync::oneshot::Sender<()>,
}

struct Bound {
    graph: std::net::TcpListener,
    upload: std::net::TcpListener,
    media: std::net::TcpListener,
}

fn bind(cfg: ServerConfig) -> (Arc<Shared>, Bound) {
    let l = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        l.set_nonblocking(true).expect("nonblocking");
        l
    };
    let (graph, upload, media) = (l(), l(), l());
    let url = |l: &std::net::TcpListener| format!("http://{}", l.local_addr().expect("addr"));
    let http = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("http client");
    let shared = Arc::new(Shared {
        state: Mutex::new(State::new(cfg)),
        hook: Mutex::new(None),
        graph_url: url(&graph),
        upload_url: url(&upload),
        media_url: url(&media),
        http,
    });
    (
        shared,
        Bound {
            graph,
            upload,
            media,
        },
    )
}

pub(crate) fn start_on_current(cfg: ServerConfig) -> (Arc<Shared>, StopGuard) {
    let (shared, bound) = bind(cfg);
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(run(shared.clone(), bound, rx));
    (shared, StopGuard { _tx: tx })
}

pub(crate) fn start_on_thread(cfg: ServerConfig) -> (Arc<Shared>, StopGuard) {
    let (shared, bound) = bind(cfg);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let s = shared.clone();
    std::thread::Builder::new()
        .name("graph-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(run(s, bound, rx));
        })
        .expect("server thread");
    (shared, StopGuard { _tx: tx })
}

#[derive(Clone)]
struct App {
    shared: Arc<Shared>,
    host: Host,
}

async fn run(shared: Arc<Shared>, b: Bound, stop: tokio::sync::oneshot::Receiver<()>) {
    let api_app = |host| {
        Router::new()
            .fallback(api_handler)
            .with_state(App {
                shared: shared.clone(),
                host,
            })
            .layer(DefaultBodyLimit::max(1 << 30))
            .into_make_service_with_connect_info::<Conn>()
    };
    let media_app = Router::new().fallback(media_handler).with_state(App {
        shared: shared.clone(),
        host: Host::Media,
    });
    let graph = KillListener(TcpListener::from_std(b.graph).expect("graph listener"));
    let upload = KillListener(TcpListener::from_std(b.upload).expect("upload listener"));
    let media = TcpListener::from_std(b.media).expect("media listener");
    tokio::select! {
        _ = axum::serve(graph, api_app(Host::Graph)).into_future() => {}
        _ = axum::serve(upload, api_app(Host::Upload)).into_future() => {}
        _ = axum::serve(media, media_app).into_future() => {}
        _ = stop => {}
    }
}

// ---------------------------------------------------------------------------
// Connections that can be closed without an answer.

struct KillListener(TcpListener);

/// A connection's address and its kill switch.
#[derive(Clone, Debug)]
pub(super) struct Conn {
    peer: SocketAddr,
    killed: Arc<AtomicBool>,
}

struct KillStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

impl Listener for KillListener {
    type Io = KillStream;
    type Addr = Conn;

    async fn accept(&mut self) -> (KillStream, Conn) {
        loop {
            match self.0.accept().await {
                Ok((s, peer)) => {
                    let _ = s.set_nodelay(true);
                    let killed = Arc::new(AtomicBool::new(false));
                    return (
                        KillStream {
                            inner: s,
                            killed: killed.clone(),
                        },
                        Conn { peer, killed },
                    );
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Conn> {
        Ok(Conn {
            peer: self.0.local_addr()?,
            killed: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl Connected<IncomingStream<'_, KillListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, KillListener>) -> Self {
        stream.remote_addr().clone()
    }
}

fn killed_err() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "dropped by the test server")
}

impl AsyncRead for KillStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_err()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_err()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_err()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

// ---------------------------------------------------------------------------
// Requests.

/// A request, parsed once.
pub(super) struct Req {
    pub host: Host,
    pub method: String,
    /// The method acted on: `method=GET|POST|DELETE` overrides, as Meta
    /// allows.
    pub eff: String,
    pub path: String,
    pub version: Option<String>,
    /// Path segments after the version.
    pub segs: Vec<String>,
    pub query: String,
    pub params: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub body: Bytes,
    /// From `Authorization: Bearer|OAuth`, else `access_token`.
    pub token: Option<String>,
    /// "bearer" / "oauth" when the header carried it.
    pub scheme: Option<String>,
    pub token_in_params: bool,
    pub now: f64,
}

pub(super) fn parse_pairs(text: &str, out: &mut BTreeMap<String, String>) {
    for p in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let dec = |s: &str| statics::percent_decode(&s.replace('+', " "));
        out.insert(dec(k), dec(v));
    }
}

fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let Some((a, b)) = rest.split_once('.') else {
        return false;
    };
    !a.is_empty()
        && !b.is_empty()
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.bytes().all(|c| c.is_ascii_digit())
}

fn parse(
    host: Host,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    now: f64,
) -> Req {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let hdrs: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut params = BTreeMap::new();
    parse_pairs(&query, &mut params);
    let ctype = hdrs.get("content-type").map(String::as_str).unwrap_or("");
    if host == Host::Graph {
        if ctype.starts_with("application/x-www-form-urlencoded") {
            parse_pairs(&String::from_utf8_lossy(&body), &mut params);
        } else if ctype.starts_with("application/json") {
            if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(&body) {
                for (k, v) in m {
                    let s = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    params.insert(k, s);
                }
            }
        }
    }
    let mut segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(statics::percent_decode)
        .collect();
    let mut version = None;
    let vpos =
        usize::from(host == Host::Upload && segs.first().is_some_and(|s| s == "ig-api-upload"));
    if segs.get(vpos).is_some_and(|s| is_version(s)) {
        version = Some(segs.remove(vpos));
    }
    let (mut token, mut scheme) = (None, None);
    if let Some(a) = hdrs.get("authorization") {
        let (s, t) = a.trim().split_once(' ').unwrap_or((a.as_str(), ""));
        let s = s.to_ascii_lowercase();
        if (s == "bearer" || s == "oauth") && !t.trim().is_empty() {
            token = Some(t.trim().to_string());
        }
        scheme = Some(s);
    }
    let token_in_params = params.contains_key("access_token");
    if token.is_none() {
        token = params.get("access_token").cloned();
    }
    let eff = match params.get("method").map(|m| m.to_ascii_uppercase()) {
        Some(m) if host == Host::Graph && matches!(m.as_str(), "GET" | "POST" | "DELETE") => m,
        _ => method.as_str().to_string(),
    };
    Req {
        host,
        method: method.as_str().to_string(),
        eff,
        path,
        version,
        segs,
        query,
        params,
        headers: hdrs,
        body,
        token,
        scheme,
        token_in_params,
        now,
    }
}

// ---------------------------------------------------------------------------
// Faults.

/// `pattern` against the request: an optional leading method, then a
/// glob (`*` any run) found anywhere in the path; a trailing `$` anchors it
/// at the end of the path.
pub(super) fn matches(pattern: &str, method: &str, path: &str) -> bool {
    let mut pat = pattern.trim_start();
    for m in ["GET", "POST", "DELETE", "HEAD"] {
        if let Some(rest) = pat
            .strip_prefix(m)
            .filter(|r| r.is_empty() || r.starts_with(' '))
        {
            if m != method {
                return false;
            }
            pat = rest.trim();
        }
    }
    let pat = pat.trim_end();
    let (pat, anchored) = match pat.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pat, false),
    };
    let glob = format!("*{pat}{}", if anchored { "" } else { "*" });
    wild(glob.as_bytes(), path.as_bytes())
}

fn wild(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| wild(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && wild(rest, &s[1..]),
    }
}

fn fault_pattern(f: &Fault) -> Option<&str> {
    match f {
        Fault::Http500BeforeEffect { path_contains }
        | Fault::DropAfterEffect { path_contains }
        | Fault::DropBeforeEffect { path_contains }
        | Fault::RateLimit { path_contains, .. }
        | Fault::Latency { path_contains, .. }
        | Fault::MetaError { path_contains, .. }
        | Fault::BareStatus { path_contains, .. }
        | Fault::HighUsage { path_contains, .. } => Some(path_contains),
        Fault::ProcessingError | Fault::ProcessingFails { .. } | Fault::ExpireContainers => None,
    }
}

fn fault_name(f: &Fault) -> String {
    match f {
        Fault::Http500BeforeEffect { .. } => "Http500BeforeEffect".into(),
        Fault::DropAfterEffect { .. } => "DropAfterEffect".into(),
        Fault::DropBeforeEffect { .. } => "DropBeforeEffect".into(),
        Fault::RateLimit { code, .. } => format!("RateLimit({code})"),
        Fault::Latency { ms, .. } => format!("Latency({ms}ms)"),
        Fault::MetaError { code, subcode, .. } => format!("MetaError({code}/{subcode:?})"),
        Fault::BareStatus { status, .. } => format!("BareStatus({status})"),
        Fault::ProcessingError => "ProcessingError".into(),
        Fault::ProcessingFails { subcode } => format!("ProcessingFails({subcode})"),
        Fault::HighUsage { usage_pct, .. } => format!("HighUsage({usage_pct})"),
        Fault::ExpireContainers => "ExpireContainers".into(),
    }
}

fn pick_fault(st: &mut State, req: &Req, seq: u64) -> Option<Fault> {
    let hit = st
        .faults
        .iter()
        .position(|a| fault_pattern(&a.fault).is_some_and(|p| matches(p, &req.method, &req.path)));
    if let Some(i) = hit {
        let armed = &mut st.faults[i];
        let f = armed.fault.clone();
        armed.remaining -= 1;
        if armed.remaining == 0 {
            st.faults.remove(i);
        }
        return Some(f);
    }
    let (seed, rate) = st.seeded?;
    let r = splitmix(seed ^ splitmix(seq));
    if unit(r) >= rate {
        return None;
    }
    let r2 = splitmix(r);
    let p = String::new();
    Some(match r2 % 5 {
        0 => Fault::Http500BeforeEffect { path_contains: p },
        1 => Fault::DropAfterEffect { path_contains: p },
        2 => Fault::RateLimit {
            path_contains: p,
            code: if splitmix(r2).is_multiple_of(2) {
                4
            } else {
                80002
            },
            usage_pct: 100 + (splitmix(r2 ^ 7) % 20) as u32,
            regain_minutes: 0,
        },
        3 => Fault::Latency {
            path_contains: p,
            ms: splitmix(r2 ^ 3) % 301,
        },
        _ => Fault::MetaError {
            path_contains: p,
            code: 2,
            subcode: None,
            transient: true,
        },
    })
}

pub(super) fn rate_limit_error(code: i64) -> Out {
    let msg = match code {
        4 => "(#4) Application request limit reached",
        17 => "(#17) User request limit reached",
        32 => "(#32) Page request limit reached",
        613 => "(#613) Calls to this api have exceeded the rate limit.",
        80001 => "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        _ => "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
    };
    meta(code, msg).transient(true).out()
}

// ---------------------------------------------------------------------------
// Usage headers.

/// Counts the call and gives `X-App-Usage` and
/// `X-Business-Use-Case-Usage`.
fn usage_headers(
    st: &mut State,
    user: Option<&str>,
    login: Login,
    over: Option<(u32, u32)>,
) -> Vec<(&'static str, String)> {
    let now = st.now();
    let step = st.cfg.usage_step_pct;
    let cap = if st.cfg.throttle_at_limit {
        u32::MAX
    } else {
        99
    };
    st.app_calls.retain(|t| now - t < 3600.0);
    st.app_calls.push(now);
    let mut app_pct = (st.app_calls.len() as u32).saturating_mul(step).min(cap);
    let mut out = Vec::new();
    let mut buc = serde_json::Map::new();
    if let Some(user) = user {
        let calls = st.calls.entry(user.to_string()).or_default();
        calls.retain(|t| now - t < 3600.0);
        calls.push(now);
        let mut pct = (calls.len() as u32).saturating_mul(step).min(cap);
        let mut regain = 0u32;
        if let Some(t) = st.throttled.get(user).filter(|t| t.until > now) {
            pct = pct.max(t.usage_pct.max(100));
            regain = ((t.until - now) / 60.0).ceil() as u32;
        }
        if let Some((p, r)) = over {
            pct = pct.max(p);
            regain = regain.max(r);
        }
        app_pct = app_pct.max(if over.is_some() { pct } else { 0 });
        buc.insert(
            user.to_string(),
            json!([{
                "type": "instagram",
                "call_count": pct,
                "total_cputime": pct / 2,
                "total_time": pct * 3 / 4,
                "estimated_time_to_regain_access": regain,
            }]),
        );
    } else if let Some((p, _)) = over {
        app_pct = app_pct.max(p);
    }
    if login == Login::Instagram {
        // Instagram Login's own names, and the account's figure in the one
        // header there is.
        let pct = buc
            .values()
            .filter_map(|v| v[0]["call_count"].as_u64())
            .max()
            .map_or(app_pct, |p| app_pct.max(p as u32));
        out.push((
            "x-app-usage",
            json!({"call_volume": pct, "cpu_time": pct / 2}).to_string(),
        ));
        return out;
    }
    out.push((
        "x-app-usage",
        json!({"call_count": app_pct, "total_cputime": app_pct / 2, "total_time": app_pct * 3 / 4})
            .to_string(),
    ));
    out.push((
        "x-business-use-case-usage",
        serde_json::Value::Object(buc).to_string(),
    ));
    out
}

// ---------------------------------------------------------------------------
// Handlers.

async fn media_handler(
    AxState(app): AxState<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response<axum::body::Body> {
    let (root, cdn) = {
        let st = app.shared.lock();
        let cdn = super::live::serve(&st.cdn, uri.path(), uri.query().unwrap_or(""));
        (st.cfg.static_root.clone(), cdn)
    };
    let resp =
        cdn.unwrap_or_else(|| statics::serve(root.as_deref(), &method, uri.path(), &headers));
    let mut st = app.shared.lock();
    let now = st.now();
    let req = parse(Host::Media, &method, &uri, &headers, Bytes::new(), now);
    let seq = st.media_requests.len() as u64 + 1;
    let at_ms = st.started.elapsed().as_millis() as u64;
    st.media_requests.push(Recorded {
        seq,
        host: Host::Media,
        method: req.method.clone(),
        effective_method: req.method,
        path: req.path,
        version: None,
        query: req.query,
        params: req.params,
        headers: req.headers,
        body_len: 0,
        token_in_params: false,
        user_id: None,
        status: resp.status().as_u16(),
        error_code: None,
        dropped: false,
        fault: None,
        at: now as i64,
        at_ms,
    });
    resp
}

async fn api_handler(
    AxState(app): AxState<App>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<axum::body::Body> {
    let shared = app.shared.clone();
    let now = shared.lock().now();
    let req = parse(app.host, &method, &uri, &headers, body, now);
    let (seq, fault, user, login) = {
        let mut st = shared.lock();
        st.seq += 1;
        let seq = st.seq;
        let fault = pick_fault(&mut st, &req, seq);
        let token = req.token.as_ref().and_then(|t| st.tokens.get(t));
        let user = token.map(|t| t.user_id.clone());
        let login = token.map_or(Login::Facebook, |t| t.login);
        (seq, fault, user, login)
    };
    if let Some(Fault::Latency { ms, .. }) = &fault {
        tokio::time::sleep(Duration::from_millis(*ms)).await;
    }
    let mut over = None;
    let mut out: Out = match &fault {
        Some(Fault::DropBeforeEffect { .. }) => {
            let mut o = bare(0);
            o.drop = true;
            o
        }
        Some(Fault::Http500BeforeEffect { .. }) => {
            if app.host == Host::Upload {
                upload_error(500, "ServerError", "Internal server error", true)
            } else {
                meta(1, "An unknown error occurred").transient(true).out()
            }
        }
        // The upload host has its own error shape.
        Some(Fault::MetaError {
            code, transient, ..
        }) if app.host == Host::Upload => upload_error(
            if matches!(code, 1 | 2) { 500 } else { 400 },
            "ProcessingFailedError",
            &format!("Injected error {code}"),
            *transient,
        ),
        Some(Fault::MetaError {
            code,
            subcode,
            transient,
            ..
        }) => {
            let mut e =
                meta(*code, format!("(#{code}) An injected error occurred")).transient(*transient);
            if let Some(s) = subcode {
                e = e
                    .sub(*s)
                    .user("Injected error", format!("Injected error {code}/{s}"));
            }
            e.out()
        }
        Some(Fault::RateLimit {
            code,
            usage_pct,
            regain_minutes,
            ..
        }) => {
            over = Some((*usage_pct, *regain_minutes));
            throttle(&shared, user.as_deref(), *code, *usage_pct, *regain_minutes);
            rate_limit_error(*code)
        }
        Some(Fault::BareStatus { status, .. }) => bare(*status),
        Some(Fault::HighUsage {
            usage_pct,
            regain_minutes,
            ..
        }) => {
            over = Some((*usage_pct, *regain_minutes));
            let out = api::route(&shared, &req).await;
            throttle(&shared, user.as_deref(), 4, *usage_pct, *regain_minutes);
            out
        }
        _ => match app.host {
            Host::Upload => api::upload(&shared, &req).await,
            _ => api::route(&shared, &req).await,
        },
    };
    if matches!(fault, Some(Fault::DropAfterEffect { .. })) {
        out.drop = true;
    }
    if req.params.get("suppress_http_code").map(String::as_str) == Some("1") && !out.drop {
        out.status = 200;
    }
    // Usage headers, the record, then the hook.
    let usage = {
        let mut st = shared.lock();
        let usage = if app.host == Host::Graph && out.status != 0 {
            usage_headers(&mut st, user.as_deref(), login, over)
        } else {
            Vec::new()
        };
        let at = st.now() as i64;
        let at_ms = st.started.elapsed().as_millis() as u64;
        st.requests.push(Recorded {
            seq,
            host: app.host,
            method: req.method.clone(),
            effective_method: req.eff.clone(),
            path: req.path.clone(),
            version: req.version.clone(),
            query: req.query.clone(),
            params: req.params.clone(),
            headers: req.headers.clone(),
            body_len: req.body.len(),
            token_in_params: req.token_in_params,
            user_id: user.clone(),
            status: out.status,
            error_code: out.code,
            dropped: out.drop,
            fault: fault.as_ref().map(fault_name),
            at,
            at_ms,
        });
        usage
    };
    if !out.effects.is_empty() {
        let hook = shared
            .hook
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(hook) = hook {
            for e in &out.effects {
                hook(e);
            }
        }
    }
    if out.drop {
        conn.killed.store(true, Ordering::SeqCst);
        return Response::builder()
            .status(500)
            .body(axum::body::Body::empty())
            .expect("dropped");
    }
    let mut b = Response::builder().status(out.status);
    if app.host == Host::Graph {
        let asked = req.version.clone().unwrap_or_else(|| "v24.0".into());
        let served = match &shared.lock().cfg.upgrade {
            Some((retired, served)) if *retired == asked => served.clone(),
            _ => asked,
        };
        b = b.header("facebook-api-version", served);
        b = b.header("x-fb-request-id", format!("A{seq:08}"));
    }
    for (k, v) in usage.into_iter().chain(out.headers.drain(..)) {
        b = b.header(k, v);
    }
    match std::mem::replace(&mut out.body, Body::Text(String::new(), "")) {
        Body::Json(v) => b
            .header("content-type", "application/json; charset=UTF-8")
            .body(axum::body::Body::from(v.to_string()))
            .expect("json"),
        Body::Text(t, ct) => b
            .header("content-type", ct)
            .body(axum::body::Body::from(t))
            .expect("text"),
    }
}

/// Blocks the account for `regain_minutes` (virtual time): its calls
/// meanwhile are refused with `code` and extend the block.
fn throttle(shared: &Shared, user: Option<&str>, code: i64, usage_pct: u32, regain_minutes: u32) {
    let (Some(u), true) = (user, regain_minutes > 0) else {
        return;
    };
    let mut st = shared.lock();
    let until = st.now() + f64::from(regain_minutes) * 60.0;
    st.throttled.insert(
        u.to_string(),
        Throttle {
            until,
            code,
            usage_pct,
        },
    );
}

/// Whether the account is in a rate-limit block: refuses and extends it.
pub(super) fn check_throttle(st: &mut State, user: &str) -> Result<(), Out> {
    let now = st.now();
    let ext = st.cfg.throttle_extension.as_secs_f64();
    if let Some(t) = st.throttled.get_mut(user) {
        if t.until > now {
            t.until += ext;
            return Err(rate_limit_error(t.code));
        }
    }
    if st.cfg.throttle_at_limit && st.cfg.usage_step_pct > 0 {
        let step = st.cfg.usage_step_pct;
        let calls = st.calls.entry(user.to_string()).or_default();
        calls.retain(|t| now - t < 3600.0);
        if (calls.len() as u32 + 1).saturating_mul(step) >= 100 {
            // Until enough calls have aged out of the hour.
            let keep = (100 / step.max(1)) as usize;
            let k = calls.len().saturating_sub(keep.saturating_sub(1));
            let oldest = calls.get(k).copied().unwrap_or(now);
            st.throttled.insert(
                user.to_string(),
                Throttle {
                    until: (oldest + 3600.0).max(now + 60.0),
                    code: 80002,
                    usage_pct: 100,
                },
            );
            return Err(rate_limit_error(80002));
        }
    }
    Ok(())
}
