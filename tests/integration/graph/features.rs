//! Checks of the container parameters Meta added in 2025–2026, as Meta
//! documents them: `trial_params` (trial reels), `product_tags`, and the
//! paid partnership label (`branded_content_sponsor_ids`,
//! `is_paid_partnership`). Which kinds may carry them is `api::allowed`.

use super::errors::{meta, param, Res};
use super::state::{Kind, State, DAY};
use super::{Login, TokenInfo};
use serde_json::Value;

/// `trial_params`: a JSON object whose one field `graduation_strategy`
/// (required) is MANUAL or SS_PERFORMANCE.
pub(super) fn trial_params(v: &str) -> Res<()> {
    let bad = || {
        param(
            "trial_params",
            "must be a JSON object {\"graduation_strategy\": \"MANUAL\" | \"SS_PERFORMANCE\"}",
        )
    };
    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(v) else {
        return Err(bad());
    };
    if o.keys().any(|k| k != "graduation_strategy") {
        return Err(bad());
    }
    match o.get("graduation_strategy").and_then(Value::as_str) {
        Some("MANUAL" | "SS_PERFORMANCE") => Ok(()),
        _ => Err(bad()),
    }
}

/// Parameters only Facebook Login publishes: product tags ("Shopping tags
/// are not supported" with Instagram Login) and the partnership label.
pub(super) fn facebook_only(name: &str, login: Login) -> Res<()> {
    if login == Login::Instagram {
        return Err(param(
            name,
            "is not supported with Instagram Login (graph.instagram.com)",
        ));
    }
    Ok(())
}

/// `product_tags`: a JSON array of at most 5 `{"product_id", "x", "y"}`,
/// each product once; x and y (optional, 0.0–1.0) on images only.
pub(super) fn product_tags(v: &str, kind: Kind, login: Login) -> Res<()> {
    facebook_only("product_tags", login)?;
    let Ok(Value::Array(tags)) = serde_json::from_str::<Value>(v) else {
        return Err(param("product_tags", "must be a JSON-encoded array"));
    };
    if tags.len() > 5 {
        return Err(param("product_tags", "takes at most 5 products"));
    }
    let on_image = matches!(kind, Kind::Image | Kind::ItemImage);
    let mut seen = Vec::new();
    for t in &tags {
        let Some(obj) = t.as_object() else {
            return Err(param("product_tags", "must hold objects"));
        };
        if let Some(k) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "product_id" | "x" | "y"))
        {
            return Err(param("product_tags", &format!("has an unknown key {k}")));
        }
        let id = match obj.get("product_id") {
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.clone()
            }
            Some(Value::Number(n)) if n.is_u64() => n.to_string(),
            _ => {
                return Err(param(
                    "product_tags",
                    "needs a product_id (a catalog product id) in every tag",
                ))
            }
        };
        if seen.contains(&id) {
            return Err(param("product_tags", "must tag each product once"));
        }
        seen.push(id);
        for k in ["x", "y"] {
            match (obj.get(k), on_image) {
                (None, _) => {}
                (Some(_), false) => {
                    return Err(param("product_tags", "takes x and y on images only"))
                }
                (Some(p), true) => {
                    if !p.as_f64().is_some_and(|p| (0.0..=1.0).contains(&p)) {
                        return Err(param(
                            "product_tags",
                            &format!("{k} must be a number between 0.0 and 1.0"),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// `branded_content_sponsor_ids`: a JSON array of at most 2 Instagram user
/// ids (integers) of brands, never the account itself; Meta's answers as
/// its guide lists them ("Partnership ads label errors").
pub(super) fn sponsors(v: &str, own_id: &str, login: Login) -> Res<()> {
    facebook_only("branded_content_sponsor_ids", login)?;
    let invalid = |msg: &str| {
        meta(100, format!("(#100) {msg}"))
            .user("INSTAGRAM_PLATFORM_API__INVALID_PARAM", msg)
            .out()
    };
    let Ok(Value::Array(ids)) = serde_json::from_str::<Value>(v) else {
        return Err(param(
            "branded_content_sponsor_ids",
            "must be a JSON-encoded array of integers",
        ));
    };
    if ids.iter().any(|i| !i.is_u64()) {
        return Err(param(
            "branded_content_sponsor_ids",
            "must be a JSON-encoded array of integers",
        ));
    }
    if ids.len() > 2 {
        return Err(invalid(
            "Maximum number of sponsors exceeded. The limit is 2 per post.",
        ));
    }
    if ids
        .iter()
        .any(|i| i.as_u64().map(|n| n.to_string()).as_deref() == Some(own_id))
    {
        return Err(invalid("Cannot tag yourself as a sponsor."));
    }
    Ok(())
}

/// Whether the account may create one more trial reel now (see the module
/// docs of `graph` for what Meta leaves unsaid).
pub(super) fn trial_allowed(st: &State, me: &TokenInfo) -> Res<()> {
    if st.cfg.trial_ineligible.contains(&me.user_id) {
        return Err(
            meta(10, "(#10) The user is not eligible to create trial reels.")
                .sub(2207081)
                .user(
                    "Trial reels unavailable",
                    "This account cannot share trial reels yet.",
                )
                .out(),
        );
    }
    let Some(limit) = st.cfg.trial_reels_per_day else {
        return Ok(());
    };
    let now = st.now();
    let recent = st
        .containers
        .iter()
        .filter(|c| {
            c.user_id == me.user_id
                && c.params.contains_key("trial_params")
                && now - c.created_at < DAY
        })
        .count();
    if recent >= limit as usize {
        return Err(meta(10, "(#10) The trial reels limit has been reached.")
            .sub(2207078)
            .user(
                "Trial reels limit reached",
                "You've shared the maximum number of trial reels allowed. Try again later.",
            )
            .out());
    }
    Ok(())
}
