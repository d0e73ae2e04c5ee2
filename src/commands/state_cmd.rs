//! `postwright state show|unlock`: the record and its lease, for people.

use super::open;
use super::{Exit, Failure, Globals};
use crate::report::Format;
use jiff::Timestamp;
use std::io::Write;

/// `postwright state show`: the record (fetched, for the git backend) and
/// the lease in force.
pub fn state_show(g: &Globals, format: Format, out: &mut dyn Write) -> Result<Exit, Failure> {
    let (_, store) = open(g, format, out)?;
    let loaded = store.load().and_then(|s| Ok((s, store.lease()?)));
    let (state, lease) = match loaded {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            if matches!(e, crate::state::StateError::Remote { .. }) {
                // show reads where apply does, for the lease; the record
                // itself is also in what the checkout fetched.
                eprintln!("note: `postwright status` reads the record as this checkout fetched it, without the remote");
            }
            return Ok(Exit::Error);
        }
    };
    if format == Format::Json {
        let value = serde_json::json!({
            "format_version": crate::report::JSON_FORMAT_VERSION,
            "location": store.location(),
            "lease": lease,
            "state": state,
        });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Ok(Exit::Ok);
    }
    let mut text = format!("State record: {}\n", store.location());
    match &lease {
        Some(l) if l.live(Timestamp::now()) => {
            text.push_str(&format!("Lease: held by {}\n", l.describe()));
        }
        Some(l) => text.push_str(&format!(
            "Lease: expired, of {} (the next apply takes it over)\n",
            l.describe()
        )),
        None => text.push_str("Lease: none (no apply is running)\n"),
    }
    text.push_str(&format!("\nPosts ({}):\n", state.len()));
    let several = state
        .records()
        .any(|(id, r)| state.of_post(id).any(|o| o.account != r.account));
    let name = |id: &str, e: &crate::state::Record| {
        if several {
            format!("{id} @{}", e.account)
        } else {
            id.to_string()
        }
    };
    let width = state
        .records()
        .map(|(id, e)| name(id, e).chars().count())
        .max()
        .unwrap_or(0);
    for (id, e) in state.records() {
        let id = name(id, e);
        let detail = match (&e.media_id, &e.container_id) {
            (Some(m), _) => format!(
                "media {m}{}",
                e.permalink
                    .as_deref()
                    .map(|p| format!("  {p}"))
                    .unwrap_or_default()
            ),
            (None, Some(c)) => format!("handle {c}"),
            (None, None) => e.last_error.clone().unwrap_or_default(),
        };
        text.push_str(&format!(
            "  {:<10} {id:<width$}  {detail}\n",
            e.status.name()
        ));
    }
    let _ = out.write_all(text.as_bytes());
    Ok(Exit::Ok)
}

/// `postwright state unlock LEASE-ID`: breaks the lease of an apply a
/// person knows is dead, like `terraform force-unlock`.
pub fn state_unlock(
    g: &Globals,
    format: Format,
    id: &str,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let (_, store) = open(g, format, out)?;
    match store.unlock(id) {
        Ok(lease) => {
            eprintln!(
                "released lease {} of {} on {}. If that apply is in fact still running, it stops at its next write; the next apply settles whatever it left in flight.",
                lease.id,
                lease.holder,
                store.location()
            );
            Ok(Exit::Ok)
        }
        Err(e) => Err(Failure::Error(e.to_string())),
    }
}
