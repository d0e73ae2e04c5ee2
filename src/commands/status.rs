//! `postwright status`: the state record, and what is due next.

use super::{read_plan, Exit, Failure, Globals, Planned};
use crate::plan::Action;
use crate::report::{self, Format};
use crate::state::Status;
use crate::time::local;
use std::io::Write;

/// `postwright status`: the state record, and what is due next.
pub fn status(
    g: &Globals,
    format: Format,
    refresh: bool,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let Planned {
        plan,
        config,
        state,
        ..
    } = read_plan(g, format, None, out)?;
    let tz = &config.timezone;
    let drift = refresh.then(|| super::refresh::refresh(&g.repo, &config, &state).drift);
    let mut published: Vec<_> = state
        .records()
        .filter(|(_, e)| e.status == Status::Published)
        .collect();
    published.sort_by_key(|(id, e)| (std::cmp::Reverse(e.published_at), *id, e.account.as_str()));
    let in_flight: Vec<_> = state
        .records()
        .filter(|(_, e)| matches!(e.status, Status::Creating | Status::Publishing))
        .collect();
    let failed: Vec<_> = state
        .records()
        .filter(|(_, e)| e.status == Status::Failed)
        .collect();
    let upcoming: Vec<_> = plan
        .entries
        .iter()
        // Held by a platform's own scheduler (`on-platform`), or about to
        // be handed over, moved or cancelled (`native`): upcoming too.
        .filter(|e| {
            matches!(
                e.action,
                Action::Scheduled | Action::Publish | Action::Native | Action::OnPlatform
            )
        })
        .collect();

    if format == Format::Json {
        let mut value = serde_json::json!({
            "format_version": report::JSON_FORMAT_VERSION,
            "published": published.iter().map(|(id, e)| serde_json::json!({
                "id": id, "file": e.file, "account": e.account, "type": e.kind,
                "media_id": e.media_id, "permalink": e.permalink, "published_at": e.published_at,
            })).collect::<Vec<_>>(),
            "in_progress": in_flight.iter().map(|(id, e)| serde_json::json!({
                "id": id, "file": e.file, "account": e.account, "status": e.status, "container_id": e.container_id,
            })).collect::<Vec<_>>(),
            "failed": failed.iter().map(|(id, e)| serde_json::json!({
                "id": id, "file": e.file, "account": e.account, "error": e.last_error,
            })).collect::<Vec<_>>(),
            "upcoming": upcoming.iter().map(|e| serde_json::json!({
                "id": e.id, "file": e.file, "account": e.account, "action": e.action, "publish_at": e.publish_at,
            })).collect::<Vec<_>>(),
        });
        if let Some(doubt) = &plan.state_unknown {
            value["state_unknown"] = serde_json::json!(doubt);
        }
        if let Some(drift) = &drift {
            value["drift"] = serde_json::json!(drift);
        }
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Ok(Exit::Ok);
    }

    // With several accounts a post may go to more than one: each line
    // names its target.
    let several = config.accounts.len() > 1;
    let name = |id: &str, account: &str| {
        if several {
            format!("{id} → {account}")
        } else {
            id.to_string()
        }
    };
    let mut sections: Vec<report::status::Section> = Vec::new();
    sections.push(report::status::Section {
        title: format!("Published ({})", published.len()),
        rows: published
            .iter()
            .map(|(id, e)| {
                vec![
                    e.published_at
                        .map(|t| local(t, tz))
                        .unwrap_or_else(|| "?".into()),
                    name(id, &e.account),
                    e.permalink
                        .clone()
                        .unwrap_or_else(|| "(no permalink recorded)".into()),
                ]
            })
            .collect(),
        more: 0,
    });
    if !in_flight.is_empty() {
        sections.push(report::status::Section {
            title: format!(
                "Interrupted, to resume at the next apply ({})",
                in_flight.len()
            ),
            rows: in_flight
                .iter()
                .map(|(id, e)| {
                    vec![
                        name(id, &e.account),
                        e.file.clone(),
                        format!("({})", e.status.name()),
                    ]
                })
                .collect(),
            more: 0,
        });
    }
    if !failed.is_empty() {
        sections.push(report::status::Section {
            title: format!("Failed last time ({})", failed.len()),
            rows: failed
                .iter()
                .map(|(id, e)| {
                    vec![
                        name(id, &e.account),
                        e.file.clone(),
                        e.last_error
                            .clone()
                            .unwrap_or_else(|| "unknown error".into()),
                    ]
                })
                .collect(),
            more: 0,
        });
    }
    sections.push(report::status::Section {
        title: format!("Next ({} due or scheduled)", upcoming.len()),
        rows: upcoming
            .iter()
            .take(10)
            .map(|e| {
                vec![
                    e.publish_at
                        .map(|t| local(t, tz))
                        .unwrap_or_else(|| "at the next apply".into()),
                    name(&e.id, e.acct()),
                    e.action.to_string(),
                ]
            })
            .collect(),
        more: upcoming.len().saturating_sub(10),
    });
    if let Some(drift) = &drift {
        sections.push(report::status::Section {
            title: format!("Drift ({}; reported, never published again)", drift.len()),
            rows: drift.iter().map(|d| vec![d.describe()]).collect(),
            more: 0,
        });
    }
    // An unread record first: what follows may miss published posts.
    let text = match (format, &plan.state_unknown) {
        (Format::Markdown, d) => {
            d.as_ref().map(report::doubt_markdown).unwrap_or_default()
                + &report::status::markdown(&sections)
        }
        (_, d) => {
            d.as_ref().map(report::doubt_human).unwrap_or_default()
                + &report::status::human(&sections)
        }
    };
    let _ = out.write_all(text.as_bytes());
    Ok(Exit::Ok)
}
