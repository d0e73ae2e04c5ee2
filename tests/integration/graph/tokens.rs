//! Tokens: who a request acts for, scopes, `appsecret_proof`, and the token
//! endpoints (refresh, exchanges, `debug_token`).

use super::errors::{meta, ok_with, required, Out, Res};
use super::server::{Req, Shared};
use super::state::{meta_time, splitmix, State};
use super::{Effect, Login, TokenInfo};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;

pub(super) const IG_LONG_LIVED: i64 = 5_184_000;
pub(super) const FB_LONG_LIVED: i64 = 5_183_944;

pub(super) fn hmac_hex(key: &str, msg: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key");
    mac.update(msg.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn day(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%A, %d-%b-%y %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// Looks a user token up: unknown → 190/467, expired → 190/463.
fn valid(st: &State, token: &str) -> Res<TokenInfo> {
    let Some(info) = st.tokens.get(token).cloned() else {
        return Err(meta(
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )
        .sub(467)
        .out());
    };
    if let Some(exp) = info.expires_at {
        let now = st.now() as i64;
        if exp <= now {
            return Err(meta(
                190,
                format!(
                    "Error validating access token: Session has expired on {}. The current time is {}.",
                    day(exp),
                    day(now)
                ),
            )
            .sub(463)
            .out());
        }
    }
    Ok(info)
}

/// The account a Graph call acts for, with Meta's checks in Meta's order:
/// a token at all (104), a known one (190/467), unexpired (190/463), and
/// with "Require App Secret" a correct `appsecret_proof` (100).
pub(super) fn authenticate(st: &State, req: &Req) -> Res<TokenInfo> {
    let Some(token) = req.token.as_deref() else {
        return Err(meta(104, "An access token is required to request this resource.").out());
    };
    let info = valid(st, token)?;
    if let Some(secret) = &st.cfg.app_secret {
        let Some(proof) = req.params.get("appsecret_proof") else {
            if !st.cfg.require_appsecret_proof {
                return Ok(info);
            }
            return Err(meta(
                100,
                "API calls from the server require an appsecret_proof argument",
            )
            .kind("GraphMethodException")
            .out());
        };
        let expected = match req.params.get("appsecret_time") {
            Some(t) => {
                let at: i64 = t.parse().unwrap_or(0);
                if (st.now() as i64 - at).abs() > 300 {
                    return Err(
                        meta(100, "Invalid appsecret_time provided in the API argument")
                            .kind("GraphMethodException")
                            .out(),
                    );
                }
                hmac_hex(secret, &format!("{token}|{t}"))
            }
            None => hmac_hex(secret, token),
        };
        if !proof.eq_ignore_ascii_case(&expected) {
            return Err(
                meta(100, "Invalid appsecret_proof provided in the API argument")
                    .kind("GraphMethodException")
                    .out(),
            );
        }
    }
    Ok(info)
}

/// What a call needs the token to be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    Read,
    Publish,
    Comments,
    Delete,
}

/// Groups of scopes: every group needs one of its members.
fn needed(login: Login, need: Need) -> Vec<&'static [&'static str]> {
    const PAGES: &[&str] = &["pages_read_engagement", "pages_show_list"];
    match (login, need) {
        (Login::Instagram, Need::Read) => vec![&["instagram_business_basic"]],
        (Login::Instagram, Need::Publish) => vec![
            &["instagram_business_basic"],
            &["instagram_business_content_publish"],
        ],
        (Login::Instagram, Need::Comments) => vec![
            &["instagram_business_basic"],
            &["instagram_business_manage_comments"],
        ],
        (Login::Instagram, Need::Delete) => vec![&["instagram_business_basic"]],
        (Login::Facebook, Need::Read) => vec![&["instagram_basic"], PAGES],
        (Login::Facebook, Need::Publish) => {
            vec![&["instagram_basic"], &["instagram_content_publish"], PAGES]
        }
        (Login::Facebook, Need::Comments) => {
            vec![&["instagram_basic"], &["instagram_manage_comments"], PAGES]
        }
        (Login::Facebook, Need::Delete) => {
            vec![&["instagram_basic"], &["instagram_manage_contents"]]
        }
    }
}

/// A missing scope: code 10 for publishing and deleting, 200 otherwise;
/// the message names the permission.
pub(super) fn need(info: &TokenInfo, need: Need) -> Res<()> {
    for group in needed(info.login, need) {
        if group.iter().any(|s| info.scopes.iter().any(|g| g == s)) {
            continue;
        }
        let scope = group.join(" or ");
        let err = if matches!(need, Need::Publish | Need::Delete)
            && (group[0].contains("publish") || group[0].contains("contents"))
        {
            meta(
                10,
                format!("(#10) Application does not have permission for this action: the {scope} permission is required"),
            )
        } else {
            meta(
                200,
                format!("(#200) Requires the {scope} permission to access this object"),
            )
        };
        return Err(err.out());
    }
    Ok(())
}

/// A new token for the same account and scopes.
fn issue(st: &mut State, from: &TokenInfo, lifetime: i64) -> TokenInfo {
    st.next_id += 1;
    let n = splitmix(st.next_id ^ 0x7e57);
    let prefix = match from.login {
        Login::Instagram => "IGAAT",
        Login::Facebook => "EAAT",
    };
    let now = st.now() as i64;
    let info = TokenInfo {
        token: format!("{prefix}{n:016x}{:016x}", splitmix(n)),
        user_id: from.user_id.clone(),
        login: from.login,
        scopes: from.scopes.clone(),
        expires_at: Some(now + lifetime),
        issued_at: now,
    };
    st.tokens.insert(info.token.clone(), info.clone());
    info
}

fn issued(info: TokenInfo, expires_in: i64) -> Out {
    ok_with(
        json!({
            "access_token": info.token,
            "token_type": "bearer",
            "expires_in": expires_in,
        }),
        Effect::TokenIssued {
            user_id: info.user_id,
            token: info.token,
        },
    )
}

fn grant(req: &Req, want: &str) -> Res<()> {
    match req.params.get("grant_type") {
        Some(g) if g == want => Ok(()),
        Some(g) => Err(meta(100, format!("(#100) Unsupported grant_type {g}")).out()),
        None => Err(required("grant_type")),
    }
}

fn client_secret(st: &State, req: &Req) -> Res<()> {
    match (&st.cfg.app_secret, req.params.get("client_secret")) {
        (_, None) => Err(required("client_secret")),
        (Some(s), Some(given)) if s == given => Ok(()),
        // Meta answers a wrong secret with code 1 (HTTP 400).
        _ => Err(meta(1, "Error validating client secret.")
            .status(400)
            .transient(false)
            .out()),
    }
}

/// `GET /refresh_access_token?grant_type=ig_refresh_token` (Instagram
/// Login; the token at least 24 h old and not expired).
pub(super) fn refresh(shared: &Shared, req: &Req) -> Res<Out> {
    let mut st = shared.lock();
    grant(req, "ig_refresh_token")?;
    let Some(token) = req.token.as_deref() else {
        return Err(required("access_token"));
    };
    let info = valid(&st, token)?;
    if info.login != Login::Instagram {
        return Err(meta(
            190,
            "Invalid OAuth access token - refresh_access_token takes Instagram User access tokens",
        )
        .sub(467)
        .out());
    }
    if (st.now() as i64) - info.issued_at < 86_400 {
        return Err(meta(
            100,
            "(#100) The access token must be at least 24 hours old to be refreshed",
        )
        .out());
    }
    let new = issue(&mut st, &info, IG_LONG_LIVED);
    Ok(issued(new, IG_LONG_LIVED))
}

/// `GET /access_token?grant_type=ig_exchange_token&client_secret=…`:
/// short-lived Instagram token → 60-day token.
pub(super) fn exchange_instagram(shared: &Shared, req: &Req) -> Res<Out> {
    let mut st = shared.lock();
    grant(req, "ig_exchange_token")?;
    client_secret(&st, req)?;
    let Some(token) = req.token.as_deref() else {
        return Err(required("access_token"));
    };
    let info = valid(&st, token)?;
    if info.login != Login::Instagram {
        return Err(meta(
            190,
            "Invalid OAuth access token - ig_exchange_token takes Instagram User access tokens",
        )
        .sub(467)
        .out());
    }
    let new = issue(&mut st, &info, IG_LONG_LIVED);
    Ok(issued(new, IG_LONG_LIVED))
}

/// `/oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret
/// &fb_exchange_token` → a long-lived Facebook user token.
pub(super) fn exchange_facebook(shared: &Shared, req: &Req) -> Res<Out> {
    let mut st = shared.lock();
    grant(req, "fb_exchange_token")?;
    match (&st.cfg.app_id, req.params.get("client_id")) {
        (_, None) => return Err(required("client_id")),
        (Some(id), Some(given)) if id == given => {}
        _ => return Err(meta(101, "Error validating application. Invalid application ID.").out()),
    }
    client_secret(&st, req)?;
    let token = req
        .params
        .get("fb_exchange_token")
        .cloned()
        .or_else(|| req.token.clone());
    let Some(token) = token else {
        return Err(required("fb_exchange_token"));
    };
    let info = valid(&st, &token)?;
    if info.login != Login::Facebook {
        return Err(meta(190, "Invalid OAuth access token.").sub(467).out());
    }
    let new = issue(&mut st, &info, FB_LONG_LIVED);
    Ok(issued(new, FB_LONG_LIVED))
}

/// `GET /debug_token?input_token=…` with the app token (`app_id|secret`)
/// or a valid user token.
pub(super) fn debug_token(shared: &Shared, req: &Req) -> Res<Out> {
    let st = shared.lock();
    let Some(access) = req.token.as_deref() else {
        return Err(meta(104, "An access token is required to request this resource.").out());
    };
    if let Some((id, secret)) = access.split_once('|') {
        let good =
            st.cfg.app_id.as_deref() == Some(id) && st.cfg.app_secret.as_deref() == Some(secret);
        if !good {
            return Err(meta(190, "Invalid OAuth access token signature.").out());
        }
    } else {
        valid(&st, access)?;
    }
    let Some(input) = req.params.get("input_token") else {
        return Err(required("input_token"));
    };
    let app_id = st
        .cfg
        .app_id
        .clone()
        .unwrap_or_else(|| "1000000000000001".into());
    let Some(info) = st.tokens.get(input).cloned() else {
        return Ok(super::errors::ok(json!({"data": {
            "error": {"code": 190, "message": "Invalid OAuth access token."},
            "is_valid": false,
            "scopes": [],
        }})));
    };
    let now = st.now() as i64;
    let expired = info.expires_at.is_some_and(|e| e <= now);
    // Facebook Login tokens belong to a Facebook user, not the IG account.
    let user_id = match info.login {
        Login::Instagram => info.user_id.clone(),
        Login::Facebook => format!("10{}", &info.user_id[info.user_id.len().min(2)..]),
    };
    let mut data = json!({
        "app_id": app_id,
        "type": "USER",
        "application": st.cfg.app_name,
        "data_access_expires_at": info.issued_at + 90 * 86_400,
        "expires_at": info.expires_at.unwrap_or(0),
        "is_valid": !expired,
        "issued_at": info.issued_at,
        "scopes": info.scopes,
        "granular_scopes": info.scopes.iter().map(|s| {
            if s.starts_with("instagram") {
                json!({"scope": s, "target_ids": [info.user_id]})
            } else {
                json!({"scope": s})
            }
        }).collect::<Vec<_>>(),
        "user_id": user_id,
    });
    if st.cfg.numeric_debug_ids {
        for key in ["app_id", "user_id"] {
            if let Some(n) = data[key].as_str().and_then(|s| s.parse::<u64>().ok()) {
                data[key] = json!(n);
            }
        }
    }
    if expired {
        data["error"] = json!({
            "code": 190,
            "message": format!("Error validating access token: Session has expired on {}.", meta_time(info.expires_at.unwrap_or(0) as f64)),
            "subcode": 463,
        });
    }
    Ok(super::errors::ok(json!({ "data": data })))
}
