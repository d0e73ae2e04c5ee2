//! Each post judged: new (due, scheduled, draft), known to the record
//! (published, changed, update, resume), or invalid.

use super::entry::{Action, Entry};
use super::Inputs;
use crate::diagnostic::Problem;
use crate::hosting::Hosting;
use crate::state::{self, Status};
use crate::time::{local, until};
use crate::validate::preflight::Source;
use crate::validate::{Checked, Target, ValidPost};

pub(super) fn id_of(c: &Checked) -> &str {
    c.id.as_deref().unwrap_or(&c.file.default_id)
}

/// A post (or one target of it) that fails validation; `target` is None
/// when its accounts are not known.
pub(super) fn invalid(
    checked: &Checked,
    id: String,
    recorded: Option<&state::Record>,
    target: Option<&Target>,
) -> Entry {
    let problems: Vec<Problem> = checked
        .problems_for(target.map(|t| t.platform))
        .cloned()
        .collect();
    let errors: Vec<&Problem> = problems.iter().filter(|p| p.is_error()).collect();
    let first = errors
        .first()
        .map_or(String::new(), |p| format!(": {}", p.message));
    let mut reason = format!(
        "{} error{}{first}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    if recorded.is_some_and(|r| r.status == Status::Published) {
        reason.push_str(" (already published; the live post is not affected)");
    }
    Entry {
        account: target
            .map(|t| t.account.clone())
            .or_else(|| recorded.map(|r| r.account.clone())),
        platform: target.map(|t| t.platform),
        kind: recorded.map(|r| r.kind),
        problems,
        media_id: recorded.and_then(|r| r.media_id.clone()),
        permalink: recorded.and_then(|r| r.permalink.clone()),
        ..Entry::new(&id, &checked.file.rel, Action::Invalid, reason)
    }
}

/// The entry's common part. Its media are where Meta will fetch them
/// from: the URL, the `base_url` one, or with `[media] store` the
/// object's address (`s3://bucket/prefix/<sha256>.jpg`) — never a
/// presigned URL, which is made at apply time and is a credential.
pub(super) fn base_entry(
    valid: &ValidPost,
    hosting: &Hosting,
    content_hash: &str,
    items: &[String],
) -> Entry {
    let media = valid
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| match &m.source {
            Source::Url(u) => u.clone(),
            Source::File { path, info } => {
                let sha = items.get(i).and_then(|h| h.strip_prefix("sha256:"));
                match (hosting.store(), sha) {
                    (Some(store), Some(sha)) => {
                        store.address(&store.key(sha, &crate::hosting::spec::extension(path)))
                    }
                    (Some(_), None) => path.clone(),
                    (None, _) => hosting
                        .media_url(path, info.lfs.is_some())
                        .unwrap_or_else(|_| path.clone()),
                }
            }
        })
        .collect();
    Entry {
        account: Some(valid.account.clone()),
        platform: Some(valid.platform),
        kind: Some(valid.kind),
        publish_at: valid.publish_at,
        publish_at_own: valid
            .post
            .fields
            .publish_at
            .as_deref()
            .and_then(crate::time::own_zone),
        media,
        caption_preview: valid
            .post
            .fields
            .caption
            .as_deref()
            .and_then(|c| c.lines().find(|l| !l.trim().is_empty()))
            .map(|l| l.trim().to_string()),
        content_hash: Some(content_hash.to_string()),
        ..Entry::new(
            &valid.post.id,
            &valid.post.file.rel,
            Action::Publish,
            String::new(),
        )
    }
}

/// A post the state has never published (or failed to).
pub(super) fn judge_new(
    entry: &mut Entry,
    valid: &ValidPost,
    inputs: &Inputs<'_>,
    last_error: Option<&str>,
) {
    let at = inputs.at;
    let retry = last_error.map_or(String::new(), |e| format!("; the last attempt failed: {e}"));
    if valid.post.fields.draft {
        entry.action = Action::Draft;
        entry.reason = format!("draft: true{retry}");
        return;
    }
    match valid.publish_at {
        Some(when) if when > at => {
            entry.action = Action::Scheduled;
            entry.reason = format!("publish_at is {} from now{retry}", until(at, when));
        }
        // Late beyond the limit (an archive copied in, a long outage): a
        // person decides, rather than the grid getting last year's posts.
        Some(when)
            if !valid.post.fields.publish_overdue
                && inputs
                    .max_overdue
                    .is_some_and(|max| when.checked_add(max).is_ok_and(|t| t < at)) =>
        {
            entry.action = Action::Overdue;
            entry.reason = format!(
                "due since {} ago, more than [schedule] max_overdue_hours ({} h) late: not published until its publish_at is changed or it says `publish_overdue: true`{retry}",
                until(when, at),
                inputs.max_overdue.map_or(0, |m| m.as_hours()),
            );
        }
        Some(when) => {
            entry.action = Action::Publish;
            entry.reason = format!("due since {} ago{retry}", until(when, at));
        }
        None => {
            entry.action = Action::Publish;
            entry.reason = format!("no publish_at: publishes at the next apply{retry}");
        }
    }
}

/// A post the state knows.
pub(super) fn judge_recorded(
    entry: &mut Entry,
    valid: &ValidPost,
    r: &state::Record,
    inputs: &Inputs<'_>,
) {
    let tz = inputs.tz;
    entry.media_id = r.media_id.clone();
    entry.permalink = r.permalink.clone();
    match r.status {
        Status::Failed => judge_new(entry, valid, inputs, r.last_error.as_deref()),
        Status::ScheduledOnPlatform => super::native::judge_held(entry, valid, r, inputs),
        Status::Creating | Status::Publishing => {
            entry.action = Action::Resume;
            entry.reason = match r.status {
                Status::Creating => "an earlier apply stopped while creating its containers; apply checks them and goes on".into(),
                _ => "an earlier apply stopped around its publish; apply asks the platform whether it went live before doing anything".into(),
            };
        }
        Status::Published if Some(&r.content_hash) != entry.content_hash.as_ref() => {
            entry.action = Action::Changed;
            let platform = entry.platform.map_or("the platform", |p| p.title());
            entry.reason = format!("edited after publishing; {platform} cannot edit a published post's caption or media, so nothing happens (revert the edit, or give the post a new `id` to publish it as a new post)");
        }
        Status::Published if r.media_id.is_none() => {
            // Live, but its media id was never learned (e.g. a story found
            // expired when an interrupted run was resumed a day later):
            // nothing can be changed on it.
            entry.action = Action::Published;
            entry.reason = "published (its media id is unknown, so comments settings and a first comment cannot be applied)".into();
        }
        Status::Published => {
            let wanted = valid.post.fields.comments.unwrap_or(true);
            let live = r.comments_enabled.unwrap_or(true);
            if wanted != live {
                entry.action = Action::Update;
                entry.comments_enabled = Some(wanted);
                entry.reason = format!(
                    "comments: {} → {}",
                    if live { "on" } else { "off" },
                    if wanted { "on" } else { "off" }
                );
            } else if valid.post.fields.first_comment.is_some()
                && r.first_comment_id.is_none()
                && r.media_id.is_some()
            {
                entry.action = Action::Update;
                entry.reason = "the first comment is not recorded: apply looks for it on the post and posts it only if it is missing".into();
            } else {
                entry.action = Action::Published;
                entry.reason = match r.published_at {
                    Some(t) => format!("published {}", local(t, tz)),
                    None => "published".into(),
                };
            }
        }
    }
}
