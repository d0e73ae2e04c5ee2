//! The request pipeline: record, faults, auth and scopes, rate limits,
//! route, answer.

use super::api::{self, error, Answer, Req};
use super::{iso_ms, Call, Fault, Shared, State};
use axum::body::Bytes;
use axum::extract::State as AxState;
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

fn take_fault(st: &mut State, route: &str) -> Option<Fault> {
    let mut fired = None;
    for armed in st.armed.iter_mut() {
        if !route.starts_with(armed.route.as_str()) {
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

/// The limit, the calls left and the reset time (ms) of one throttle.
struct Throttle {
    limit: u32,
    remaining: i64,
    reset_ms: i64,
}

/// Counts the call in every throttle it falls under (Rack::Attack counts
/// throttled calls too) and returns the one closest to exceeding, as the
/// headers report it.
fn count(st: &mut State, who: &str, media: bool, delete: bool) -> Throttle {
    let now_s = st.now_ms() / 1000;
    let mut worst: Option<Throttle> = None;
    let mut throttles = vec![(st.cfg.api_limit, st.cfg.api_period.as_secs() as i64, false)];
    // Uploads and deletions share the 30 per 30 minutes figure, each with
    // its own counter (rate-limits.md).
    if media || delete {
        throttles.push((
            st.cfg.media_limit,
            st.cfg.media_period.as_secs() as i64,
            true,
        ));
    }
    for (limit, period, is_media) in throttles {
        let period = period.max(1);
        let bucket = now_s / period;
        let counts = if is_media {
            &mut st.media_counts
        } else {
            &mut st.api_counts
        };
        let key = match (is_media, delete) {
            (true, true) => format!("delete:{who}"),
            _ => who.to_string(),
        };
        let n = counts.entry((key, bucket)).or_insert(0);
        *n += 1;
        let t = Throttle {
            limit,
            remaining: limit as i64 - *n as i64,
            reset_ms: (bucket + 1) * period * 1000,
        };
        if worst.as_ref().is_none_or(|w| t.remaining < w.remaining) {
            worst = Some(t);
        }
    }
    worst.expect("the api throttle")
}

fn rate_headers(t: &Throttle) -> Vec<(&'static str, String)> {
    // Rack::Attack's reset is `iso8601(6)`: microseconds.
    let reset = iso_ms(t.reset_ms).replace(".000Z", ".000000Z");
    vec![
        ("x-ratelimit-limit", t.limit.to_string()),
        ("x-ratelimit-remaining", t.remaining.max(0).to_string()),
        ("x-ratelimit-reset", reset),
    ]
}

async fn handle(
    AxState(shared): AxState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let method = method.to_string();
    let route = format!("{method} {path}");
    let hmap: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let bearer = hmap
        .get("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let mut st = shared.lock();
    if method == "GET" && path.starts_with("/system/") {
        // Files come from the web server, outside the API's limits.
        return match api::media_file(&st, &path) {
            Some((mime, bytes)) => {
                (StatusCode::OK, [("content-type", mime)], bytes).into_response()
            }
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    super::statuses::publish_due(&mut st);
    let fault = take_fault(&mut st, &route);
    let media = method == "POST" && (path == "/api/v2/media" || path == "/api/v1/media");
    let who = bearer.clone().unwrap_or_else(|| "ip:127.0.0.1".into());
    let delete = method == "DELETE" && path.starts_with("/api/v1/statuses/");
    let throttle = count(&mut st, &who, media, delete);
    let mut answer = match &fault {
        Some(Fault::RateLimited) => error(429, "Too many requests"),
        Some(Fault::Http500) => error(500, "We're sorry, but something went wrong"),
        Some(Fault::BadGateway) => error(502, ""),
        _ if throttle.remaining < 0 => error(429, "Too many requests"),
        _ => {
            let req = Req {
                method: &method,
                path: &path,
                query: &query,
                headers: &hmap,
                body: &body,
                bearer: bearer.as_deref(),
            };
            api::route(&mut st, &req)
        }
    };
    let forced_429 = matches!(fault, Some(Fault::RateLimited));
    let mut rate = rate_headers(&throttle);
    if forced_429 {
        rate[1].1 = "0".into();
    }
    answer.headers.extend(rate);
    // The virtual clock, as a real server's Date tells its own: postwright
    // judges a key's hour by it.
    answer.headers.push(("date", http_date(st.now_ms())));
    let lost = matches!(fault, Some(Fault::LostAnswer));
    let status = match fault {
        Some(Fault::LostAnswer) => 0,
        Some(Fault::LostAnswer500) => 500,
        _ => answer.status,
    };
    let changed = method != "GET"
        && (200..300).contains(&answer.status)
        && !matches!(
            fault,
            Some(Fault::Http500 | Fault::BadGateway | Fault::RateLimited)
        );
    st.calls.push(Call {
        method,
        path,
        query,
        headers: hmap,
        body: body.to_vec(),
        status,
        fault: fault.clone(),
    });
    drop(st);
    if changed {
        let hook = shared
            .hook
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(&route);
        }
    }
    if lost {
        // The effect is kept; unwinding the connection's task closes the
        // socket before a byte of the answer is written.
        std::panic::resume_unwind(Box::new("lost answer (armed fault)"));
    }
    finish(fault, answer)
}

/// `Mon, 07 Dec 2026 12:31:52 GMT` (RFC 9110), as a `Date` header.
fn http_date(ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&ts)
        .unwrap_or_default()
}

/// The answer as the fault shapes it.
fn finish(fault: Option<Fault>, answer: Answer) -> Response {
    match fault {
        Some(Fault::LostAnswer500) => respond(error(500, "We're sorry, but something went wrong")),
        Some(Fault::BadGateway) => {
            let html = "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>";
            (
                StatusCode::BAD_GATEWAY,
                [("content-type", "text/html")],
                html,
            )
                .into_response()
        }
        _ => respond(answer),
    }
}

fn respond(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match answer.body {
        // 206 from GET /api/v1/media/:id carries the attachment too.
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    };
    for (k, v) in answer.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
            response.headers_mut().insert(k, v);
        }
    }
    response
}
