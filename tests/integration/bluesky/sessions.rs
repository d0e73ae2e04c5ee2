//! Sessions and rate limits: createSession, refreshSession, getSession,
//! which token a call carries, and the points a write costs. Answers as the
//! reference PDS gives them (tests/integration/pds/smoke.rs).

use super::xrpc::{error, field, is_account, json_body, Answer, Req, Result};
use super::{Auth, Session, State};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Which session a token belongs to, and as what.
pub(super) fn classify(st: &State, bearer: Option<&str>) -> Auth {
    let Some(token) = bearer else {
        return Auth::None;
    };
    for s in &st.sessions {
        if s.access == token {
            return Auth::Access(s.id);
        }
        if s.refresh == token {
            return Auth::Refresh(s.id);
        }
    }
    Auth::Unknown
}

fn session(st: &State, id: u32) -> &Session {
    &st.sessions[id as usize - 1]
}

/// The session of a valid access token.
pub(super) fn access(st: &State, req: &Req) -> Result<u32> {
    match classify(st, req.bearer) {
        Auth::None => Err(error(401, "AuthMissing", "Authentication Required")),
        Auth::Access(id) if session(st, id).access_expires <= st.now() => {
            Err(error(400, "ExpiredToken", "Token has expired"))
        }
        Auth::Access(id) => Ok(id),
        Auth::Unknown | Auth::Refresh(_) => {
            Err(error(400, "InvalidToken", "Token could not be verified"))
        }
    }
}

pub(super) fn create_session(st: &mut State, req: &Req) -> Result<Answer> {
    let now = st.now();
    let window = st.cfg.session_window.as_secs() as i64;
    st.session_times.retain(|t| now - t < window);
    let limit = st.cfg.session_limit;
    let used = st.session_times.len() as u32;
    let reset = real(
        st,
        st.session_times.first().copied().unwrap_or(now) + window,
    );
    let headers = rate_headers(limit, limit.saturating_sub(used + 1), reset, window);
    if used >= limit {
        return Err(rate_limited(limit, reset, window, true));
    }
    st.session_times.push(now);
    let body = json_body(req)?;
    let identifier = field(&body, "identifier")?;
    let password = field(&body, "password")?;
    if !is_account(st, identifier) || password != st.cfg.password {
        let mut e = error(
            401,
            "AuthenticationRequired",
            "Invalid identifier or password",
        );
        e.headers = headers;
        return Err(e);
    }
    st.logins += 1;
    let mut answer = new_session(st).changed();
    answer.headers = headers;
    Ok(answer)
}

pub(super) fn refresh_session(st: &mut State, req: &Req) -> Result<Answer> {
    let now = st.now();
    let id = match classify(st, req.bearer) {
        Auth::None => return Err(error(401, "AuthMissing", "Authentication Required")),
        Auth::Refresh(id) => id,
        Auth::Unknown | Auth::Access(_) => {
            return Err(error(400, "InvalidToken", "Token could not be verified"))
        }
    };
    let old = session(st, id).clone();
    if old.refresh_expires <= now {
        return Err(error(400, "ExpiredToken", "Token has expired"));
    }
    if old.refresh_grace_until.is_some_and(|t| t <= now) {
        return Err(error(400, "ExpiredToken", "Token has been revoked"));
    }
    let grace = st.cfg.refresh_grace.as_secs() as i64;
    let s = &mut st.sessions[id as usize - 1];
    s.refresh_grace_until.get_or_insert(now + grace);
    st.refreshes += 1;
    Ok(new_session(st).changed())
}

fn new_session(st: &mut State) -> Answer {
    let now = st.now();
    let id = st.sessions.len() as u32 + 1;
    let did = st.cfg.did.clone();
    let access_expires = now + st.cfg.access_lifetime.as_secs() as i64;
    let refresh_expires = now + st.cfg.refresh_lifetime.as_secs() as i64;
    let s = Session {
        id,
        access: jwt(
            "at+jwt",
            "com.atproto.access",
            &did,
            now,
            access_expires,
            id,
        ),
        refresh: jwt(
            "refresh+jwt",
            "com.atproto.refresh",
            &did,
            now,
            refresh_expires,
            id,
        ),
        access_expires,
        refresh_expires,
        refresh_grace_until: None,
    };
    let mut body = account_json(st);
    body["accessJwt"] = json!(s.access);
    body["refreshJwt"] = json!(s.refresh);
    st.sessions.push(s);
    Answer::ok(body)
}

fn account_json(st: &State) -> Value {
    json!({
        "did": st.cfg.did,
        "handle": st.cfg.handle,
        "email": st.cfg.email,
        "emailConfirmed": false,
        "active": true,
    })
}

/// A token shaped as the PDS's (HS256 JWT): a client may read `exp` from
/// it. The signature is a stand-in; nothing here verifies it.
fn jwt(typ: &str, scope: &str, did: &str, iat: i64, exp: i64, id: u32) -> String {
    let b64 = crate::pds::base64url;
    let header = json!({"typ": typ, "alg": "HS256"});
    let mut claims =
        json!({"scope": scope, "aud": "did:web:pds.test", "sub": did, "iat": iat, "exp": exp});
    if typ == "refresh+jwt" {
        claims["jti"] = json!(format!("refresh-{id}"));
    }
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = Sha256::digest(format!("{input}/{id}").as_bytes());
    format!("{input}.{}", b64(&sig))
}

pub(super) fn get_session(st: &mut State, req: &Req) -> Result<Answer> {
    access(st, req)?;
    Ok(Answer::ok(account_json(st)))
}

/// Takes `cost` points of the write budget, or answers 429.
pub(super) fn spend_write_points(st: &mut State, cost: u32) -> Result<Vec<(&'static str, String)>> {
    let now = st.now();
    let window = st.cfg.write_window.as_secs() as i64;
    st.write_log.retain(|(t, _)| now - t < window);
    let used: u32 = st.write_log.iter().map(|(_, p)| p).sum();
    let limit = st.cfg.write_points;
    let reset = real(st, st.write_log.first().map_or(now, |(t, _)| *t) + window);
    if used + cost > limit {
        return Err(rate_limited(limit, reset, window, true));
    }
    st.write_log.push((now, cost));
    Ok(rate_headers(limit, limit - used - cost, reset, window))
}

/// A virtual time as the real epoch seconds a client compares with its
/// clock: the windows run on the virtual clock, `RateLimit-Reset` on the
/// real one.
fn real(st: &State, virtual_secs: i64) -> i64 {
    virtual_secs - st.offset.as_secs() as i64
}

pub(super) fn rate_headers(
    limit: u32,
    remaining: u32,
    reset: i64,
    window: i64,
) -> Vec<(&'static str, String)> {
    vec![
        ("RateLimit-Limit", limit.to_string()),
        ("RateLimit-Remaining", remaining.to_string()),
        ("RateLimit-Reset", reset.to_string()),
        ("RateLimit-Policy", format!("{limit};w={window}")),
    ]
}

/// 429 as the reference PDS answers it (`reset` in real epoch seconds).
pub(super) fn rate_limited(limit: u32, reset: i64, window: i64, retry_after: bool) -> Answer {
    let mut a = error(429, "RateLimitExceeded", "Rate Limit Exceeded");
    a.headers = rate_headers(limit, 0, reset, window);
    if retry_after {
        let wait = (reset - super::unix_now()).max(1);
        a.headers.push(("Retry-After", wait.to_string()));
    }
    a
}
