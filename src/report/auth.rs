//! `auth inspect` output: a block per account for people, JSON, and
//! GitHub annotations.

use super::github;
use crate::auth::Inspection;
use jiff::Timestamp;
use std::fmt::Write as _;

pub fn human(inspections: &[Inspection], now: Timestamp) -> String {
    let mut out = String::new();
    for i in inspections {
        let _ = writeln!(
            out,
            "account {} ({}, token from {})",
            i.account, i.access, i.token_env
        );
        if let Some(id) = &i.user_id {
            let name = i
                .username
                .as_deref()
                .map(|u| format!(" (@{u})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  acts for:  {id}{name}");
        }
        if let Some(kind) = &i.kind {
            let _ = writeln!(out, "  type:      {kind}");
        }
        let expiry = match (i.expires_at, i.never_expires) {
            (_, true) => Some("never".to_string()),
            (Some(at), _) if at > now => Some(format!("{at} (in {})", crate::time::until(now, at))),
            (Some(at), _) => Some(format!("{at} (expired)")),
            (None, false) => None,
        };
        if let Some(e) = expiry {
            let _ = writeln!(out, "  expires:   {e}");
        }
        if let Some(scopes) = &i.scopes {
            let _ = writeln!(out, "  scopes:    {}", scopes.join(", "));
        }
        for e in &i.errors {
            let _ = writeln!(out, "  error:     {e}");
        }
        for w in &i.warnings {
            let _ = writeln!(out, "  warning:   {w}");
        }
        for n in &i.notes {
            let _ = writeln!(out, "  note:      {n}");
        }
        let verdict = if i.usable() {
            "can publish"
        } else {
            "CANNOT publish"
        };
        let _ = writeln!(out, "  verdict:   {verdict}\n");
    }
    out
}

pub fn json(inspections: &[Inspection]) -> String {
    let value = serde_json::json!({
        "format_version": super::JSON_FORMAT_VERSION,
        "accounts": inspections,
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

/// A token check's errors and warnings, one line each: annotations for
/// GitHub, else `error: account NAME: …`.
pub fn findings(i: &Inspection, github: bool) -> String {
    let mut out = String::new();
    let lines = i
        .errors
        .iter()
        .map(|e| ("error", e))
        .chain(i.warnings.iter().map(|w| ("warning", w)));
    for (level, text) in lines {
        let text = format!("account {}: {text}", i.account);
        let _ = if github {
            writeln!(
                out,
                "::{level} title=postwright token::{}",
                github::escape_data(&text)
            )
        } else {
            writeln!(out, "{level}: {text}")
        };
    }
    out
}

pub fn github(inspections: &[Inspection]) -> String {
    let mut out: String = inspections.iter().map(|i| findings(i, true)).collect();
    out.push_str(&human(inspections, Timestamp::now()));
    out
}
