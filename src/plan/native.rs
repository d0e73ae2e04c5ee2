//! Native scheduling in the plan (`schedule = "native"` on an account whose
//! platform has a scheduler of its own, [`crate::platform::NativeScheduling`]).
//!
//! A post due far enough ahead is handed to the platform when it is merged
//! and goes out on the minute, without waiting for a cron run. The record
//! knows it as `scheduled-on-platform`; from then on the file is still the
//! truth: a new `publish_at` moves the held post, an edit (which the
//! platform cannot apply to a held post), `draft: true` or a deleted file
//! cancels it — and an edited post is handed over anew. Once its time has
//! passed, apply asks the platform what became of it and records that.
//!
//! Posts over the platform's limits (held at once, held on one UTC day)
//! stay with apply's runs, and the plan says so.

use super::entry::{Action, Entry, NativeStep};
use super::Inputs;
use crate::platform::NativeScheduling;
use crate::state::{Record, State, Status};
use crate::time::local;
use crate::validate::ValidPost;
use std::collections::HashMap;

/// The scheduler a held record's account has (its platform's, even when
/// the account has since gone back to `schedule = "apply"`: what is held
/// is still managed).
fn scheduler(inputs: &Inputs<'_>, account: &str) -> Option<NativeScheduling> {
    let a = inputs.accounts.get(account)?;
    a.native
        .or_else(|| a.platform.spec().capabilities(Some(a)).native_scheduling)
}

fn title(inputs: &Inputs<'_>, account: &str) -> &'static str {
    inputs
        .accounts
        .get(account)
        .map_or("the platform", |a| a.platform.title())
}

/// A target whose record says `scheduled-on-platform`.
pub(super) fn judge_held(entry: &mut Entry, valid: &ValidPost, r: &Record, inputs: &Inputs<'_>) {
    let at = inputs.at;
    let on = title(inputs, &r.account);
    let tz = inputs.tz;
    let held = r.scheduled_at;
    let held_for = held.map_or("its time".into(), |t| local(t, tz));
    let (Some(held), Some(id)) = (held, r.scheduled_id.clone()) else {
        return set(
            entry,
            Action::Native,
            NativeStep::Check,
            format!("an earlier apply handed it to {on} for {held_for} and stopped before the answer: apply looks for it among the posts {on} holds before anything else"),
        );
    };
    if held <= at {
        return set(
            entry,
            Action::Native,
            NativeStep::Check,
            format!("{on} was to publish it at {held_for}: apply asks whether it went out and records it"),
        );
    }
    let earliest = scheduler(inputs, &r.account).map(|n| n.earliest(at));
    let wanted = valid.publish_at;
    let far_enough = |t: Option<jiff::Timestamp>| match (t, earliest) {
        (Some(t), Some(e)) => t >= e,
        _ => false,
    };
    let edited = Some(&r.content_hash) != entry.content_hash.as_ref();
    let cancel = |then| NativeStep::Cancel {
        id: Some(id.clone()),
        then,
    };
    if valid.post.fields.draft {
        let reason = format!("draft: true: apply cancels the post {on} holds for {held_for}");
        return set(entry, Action::Native, cancel(None), reason);
    }
    if edited {
        let (step, then) = if far_enough(wanted) {
            (
                cancel(wanted),
                format!("hands the new version over for {}", show(wanted, tz)),
            )
        } else {
            (cancel(None), runs_publish(wanted, at, tz))
        };
        let action = due_action(wanted, at);
        let reason = format!("edited while {on} holds it for {held_for}; {on} cannot edit a held post, so apply cancels it and {then}");
        return set(entry, action, step, reason);
    }
    if wanted == Some(held) {
        entry.action = Action::OnPlatform;
        entry.reason = format!("held by {on}, which publishes it at {held_for} without a run");
        return;
    }
    if far_enough(wanted) {
        let to = wanted.unwrap_or(held);
        let reason = format!(
            "publish_at changed: apply moves the post {on} holds from {held_for} to {}",
            local(to, tz)
        );
        let step = NativeStep::Move { id, from: held, to };
        return set(entry, Action::Native, step, reason);
    }
    let reason = format!(
        "publish_at changed to {}, too close for {on}'s scheduler: apply cancels the post it holds for {held_for} and {}",
        show(wanted, tz),
        runs_publish(wanted, at, tz)
    );
    set(entry, due_action(wanted, at), cancel(None), reason);
}

/// A held record whose file (or whose target in it) is gone: cancelled,
/// without `--prune`, since nothing is live.
pub(super) fn removed(r: &Record, gone: &str, inputs: &Inputs<'_>) -> (Action, NativeStep, String) {
    let on = title(inputs, &r.account);
    let held_for = r
        .scheduled_at
        .map_or("its time".into(), |t| local(t, inputs.tz));
    let passed = r.scheduled_at.is_some_and(|t| t <= inputs.at);
    if passed {
        return (
            Action::Native,
            NativeStep::Check,
            format!("{gone}; {on} was to publish it at {held_for}: apply records what became of it (apply --prune would then delete it)"),
        );
    }
    (
        Action::Native,
        NativeStep::Cancel {
            id: r.scheduled_id.clone(),
            then: None,
        },
        format!("{gone}: apply cancels the post {on} holds for {held_for} (nothing is live)"),
    )
}

/// New posts of native accounts, due far enough ahead, are handed over,
/// within the platform's limits (counted with what it holds already), in
/// publish order.
pub(super) fn hand_over(entries: &mut [Entry], state: &State, inputs: &Inputs<'_>) {
    let mut pending: HashMap<&str, usize> = HashMap::new();
    let mut per_day: HashMap<(&str, jiff::civil::Date), usize> = HashMap::new();
    for (_, r) in state.records() {
        if r.status == Status::ScheduledOnPlatform {
            *pending.entry(r.account.as_str()).or_default() += 1;
            if let Some(t) = r.scheduled_at {
                *per_day.entry((r.account.as_str(), utc_day(t))).or_default() += 1;
            }
        }
    }
    for e in entries.iter_mut() {
        if e.action != Action::Scheduled || e.native.is_some() {
            continue;
        }
        let (Some(account), Some(when)) = (e.account.as_deref(), e.publish_at) else {
            continue;
        };
        let Some((name, a)) = inputs.accounts.get_key_value(account) else {
            continue;
        };
        let Some(n) = a.native else { continue };
        if when < n.earliest(inputs.at) {
            continue;
        }
        let on = a.platform.title();
        let held = pending.entry(name.as_str()).or_default();
        let day = per_day.entry((name.as_str(), utc_day(when))).or_default();
        let over = if *held >= n.max_pending {
            Some(format!(
                "{on} holds at most {} posts at once",
                n.max_pending
            ))
        } else if *day >= n.max_per_day {
            Some(format!(
                "{on} holds at most {} posts for one day (UTC)",
                n.max_per_day
            ))
        } else {
            None
        };
        if let Some(over) = over {
            e.reason.push_str(&format!(
                "; not handed to {on}: {over}, so apply's runs publish it"
            ));
            continue;
        }
        *held += 1;
        *day += 1;
        e.action = Action::Native;
        e.native = Some(NativeStep::Schedule { at: when });
        e.reason = format!(
            "apply hands it to {on}, which publishes it at {} without a run",
            local(when, inputs.tz)
        );
    }
}

fn utc_day(t: jiff::Timestamp) -> jiff::civil::Date {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

fn set(entry: &mut Entry, action: Action, step: NativeStep, reason: String) {
    entry.action = action;
    entry.native = Some(step);
    entry.reason = reason;
}

/// A post whose held copy is cancelled: published now when due (after the
/// cancel), else by a later run.
fn due_action(wanted: Option<jiff::Timestamp>, at: jiff::Timestamp) -> Action {
    match wanted {
        Some(t) if t > at => Action::Native,
        _ => Action::Publish,
    }
}

fn runs_publish(
    wanted: Option<jiff::Timestamp>,
    at: jiff::Timestamp,
    tz: &jiff::tz::TimeZone,
) -> String {
    match wanted {
        Some(t) if t > at => format!("apply's runs publish it when due ({})", local(t, tz)),
        _ => "publishes it now".into(),
    }
}

fn show(t: Option<jiff::Timestamp>, tz: &jiff::tz::TimeZone) -> String {
    t.map_or("the next apply".into(), |t| local(t, tz))
}
