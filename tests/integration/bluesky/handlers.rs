//! The request pipeline: parse, arm faults, route, record, answer.

use super::sessions::{classify, rate_limited};
use super::xrpc::{self, error, Answer, Req};
use super::{Call, Fault, Shared, State};
use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) async fn serve(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
    let app = Router::new().fallback(handle).with_state(shared);
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stop.await;
        })
        .await;
}

/// The first armed fault for `nsid` whose skips are used up (it fires, and
/// is gone after its last time); a matching one still skipping counts this
/// call.
fn take_fault(st: &mut State, nsid: &str) -> Option<Fault> {
    let mut fired = None;
    for armed in st.armed.iter_mut() {
        if !nsid.contains(armed.nsid_contains.as_str()) {
            continue;
        }
        if armed.skip > 0 {
            armed.skip -= 1;
            continue;
        }
        if fired.is_none() && armed.times > 0 {
            armed.times -= 1;
            fired = Some(armed.fault.clone());
        }
    }
    st.armed.retain(|a| a.times > 0);
    fired
}

async fn handle(
    AxState(shared): AxState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let nsid = path.strip_prefix("/xrpc/").unwrap_or(path).to_string();
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type");
    let bearer =
        header("authorization").and_then(|v| v.strip_prefix("Bearer ").map(str::to_string));
    let method = method.to_string();
    let req = Req {
        method: &method,
        nsid: &nsid,
        query: &query,
        content_type: content_type.as_deref(),
        body: &body,
        bearer: bearer.as_deref(),
    };
    let mut st = shared.lock();
    if nsid == "com.atproto.sync.getBlob" && method == "GET" {
        return get_blob(&st, &query);
    }
    let auth = classify(&st, req.bearer);
    let fault = take_fault(&mut st, &nsid);
    let answer = match &fault {
        Some(Fault::RateLimited {
            reset_secs,
            retry_after,
        }) => {
            let reset = super::unix_now() + *reset_secs as i64;
            let (limit, window) = if nsid.ends_with("createSession") {
                (st.cfg.session_limit, st.cfg.session_window)
            } else {
                (st.cfg.write_points, st.cfg.write_window)
            };
            let window = window.as_secs() as i64;
            rate_limited(limit, reset, window, *retry_after)
        }
        Some(Fault::Http500) => error(500, "InternalServerError", "Internal Server Error"),
        Some(Fault::BadGateway) => error(502, "", ""),
        Some(Fault::ExpireAccessTokens) => {
            let now = st.now();
            for s in &mut st.sessions {
                s.access_expires = now - 1;
            }
            xrpc::route(&mut st, &req)
        }
        Some(Fault::LostAnswer | Fault::LostAnswer500) | None => xrpc::route(&mut st, &req),
    };
    let lost = matches!(fault, Some(Fault::LostAnswer));
    let lost500 = matches!(fault, Some(Fault::LostAnswer500));
    let status = match () {
        _ if lost => 0,
        _ if lost500 => 500,
        _ => answer.status,
    };
    st.calls.push(Call {
        method,
        nsid: nsid.clone(),
        query,
        content_type,
        body: body.to_vec(),
        auth,
        status,
        error: answer.body["error"].as_str().map(str::to_string),
        fault: fault.clone(),
    });
    drop(st);
    if answer.changed {
        let hook = shared
            .hook
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(&nsid);
        }
    }
    if lost {
        // The effect is kept; unwinding the connection's task closes the
        // socket before a byte of the answer is written. resume_unwind
        // does not run the panic hook, so nothing is printed.
        std::panic::resume_unwind(Box::new("lost answer (armed fault)"));
    }
    if lost500 {
        return respond(error(500, "InternalServerError", "Internal Server Error"));
    }
    if matches!(fault, Some(Fault::BadGateway)) {
        let html =
            "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>";
        return (
            StatusCode::BAD_GATEWAY,
            [("content-type", "text/html")],
            html,
        )
            .into_response();
    }
    respond(answer)
}

/// A blob's bytes, as the PDS serves them to anyone (no token). The
/// reference PDS names the error `BlobNotFound` for an unknown CID.
fn get_blob(st: &State, query: &BTreeMap<String, String>) -> Response {
    let did = query.get("did").map(String::as_str);
    let cid = query.get("cid").map(String::as_str);
    let found = st
        .blobs
        .iter()
        .find(|b| did == Some(st.cfg.did.as_str()) && cid == Some(b.cid.as_str()));
    match found {
        Some(b) => (
            StatusCode::OK,
            [("content-type", b.mime.clone())],
            b.bytes.clone(),
        )
            .into_response(),
        None => respond(error(400, "BlobNotFound", "Blob not found")),
    }
}

fn respond(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(answer.body)).into_response();
    for (k, v) in answer.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
            response.headers_mut().insert(k, v);
        }
    }
    response
}
