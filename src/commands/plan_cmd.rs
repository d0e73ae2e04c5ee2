//! `postwright plan`: what apply would do now, for every post, and why.

use super::{
    changes, check_tokens, make_plan, open, scan_notes, workspace_prefix, Ask, Exit, Failure,
    Globals, Planned,
};
use crate::plan;
use crate::report::{self, Format};
use crate::state::Asking;
use crate::validate;
use jiff::Timestamp;
use std::io::Write;
use std::path::Path;

/// Options of `plan`.
pub struct PlanOptions<'a> {
    pub at: Option<&'a str>,
    pub detailed_exitcode: bool,
    pub prune: bool,
    pub out: Option<&'a Path>,
    pub base: Option<&'a str>,
    pub offline: bool,
    /// Read the live accounts and report drift.
    pub refresh: bool,
}

pub fn plan(
    g: &Globals,
    format: Format,
    options: &PlanOptions<'_>,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let (config, store) = open(g, format, out)?;
    let planned = make_plan(
        g,
        format,
        config,
        store.as_ref(),
        Ask {
            at: options.at,
            prune: options.prune,
            // Under --offline nothing calls the remote; otherwise only a
            // checkout that fetched nothing telling asks it (see
            // crate::state::read_only).
            read_only: Some(if options.offline {
                Asking::Never
            } else {
                Asking::WhenUnfetched
            }),
        },
        out,
    )?;
    let Planned {
        mut plan,
        config,
        scanned,
        general,
        posts,
        state,
        lease,
        ..
    } = planned;
    if let Some(base) = options.base {
        match plan::base::touched(&g.repo, base) {
            Ok(touched) => plan.mark_touched(base, &touched, &media_paths(&posts), &config.content),
            // Not a commit here: a local typo, or a shallow checkout in CI.
            // The plan is still right, only not split.
            Err(e @ plan::base::BaseError::UnknownRef { .. }) => {
                eprintln!("warning: {e}; every post is listed");
            }
            Err(e) => return Err(Failure::Error(e.to_string())),
        }
    }
    let pr_base = plan.pull_request.as_ref().map(|p| p.base.clone());
    changes::explain(
        &mut plan,
        &g.repo,
        &state,
        &posts,
        &config.content,
        pr_base.as_deref(),
    );
    if options.refresh {
        plan.drift = Some(super::refresh::refresh(&g.repo, &config, &state).drift);
    }
    if let Some(lease) = lease.filter(|l| l.live(Timestamp::now())) {
        eprintln!("note: an apply is running: {}", lease.describe());
    }
    let tz = &config.timezone;
    let text = match format {
        Format::Human => report::plan::human(&plan, tz),
        Format::Json => report::plan::json(&plan),
        Format::Markdown => report::plan::markdown(&plan, tz),
        Format::Github => {
            if std::env::var_os("GITHUB_STEP_SUMMARY").is_some() {
                report::github::append_step_summary(&scan_notes(
                    Format::Markdown,
                    report::plan::markdown(&plan, tz),
                    &general,
                    &scanned,
                    "",
                ));
            }
            report::plan::github_output(&plan, tz, &workspace_prefix(&g.repo))
        }
    };
    let text = scan_notes(format, text, &general, &scanned, &workspace_prefix(&g.repo));
    match options.out {
        Some(path) => {
            // A file is never coloured.
            if let Err(e) = std::fs::write(path, report::style::strip(&text)) {
                return Err(Failure::Io(format!(
                    "--out {}: cannot write it: {e}",
                    path.display()
                )));
            }
            eprintln!("{}", report::plan::summary_line(&plan));
        }
        None => {
            let _ = out.write_all(text.as_bytes());
        }
    }
    let tokens_ok = options.offline || check_tokens(&config, &plan, &posts, format);
    let exit = if plan.has_invalid() || !tokens_ok {
        Exit::Error
    } else if options.detailed_exitcode && plan.needs_apply() {
        Exit::Pending
    } else {
        Exit::Ok
    };
    super::keep_until_exit((plan, posts, state));
    Ok(exit)
}

/// The repo paths of each valid post's media (and reel cover), by id: a
/// pull request that edits one of them edits the post.
pub(super) fn media_paths(
    posts: &[validate::Checked],
) -> std::collections::HashMap<String, Vec<String>> {
    posts
        .iter()
        .filter_map(|c| Some((c.id.clone()?, c.valid.first()?)))
        .map(|(id, v)| {
            let paths = v
                .media
                .iter()
                .chain(&v.cover)
                .filter_map(|m| match &m.source {
                    validate::preflight::Source::File { path, .. } => Some(path.clone()),
                    validate::preflight::Source::Url(_) => None,
                })
                .collect();
            (id, paths)
        })
        .collect()
}
