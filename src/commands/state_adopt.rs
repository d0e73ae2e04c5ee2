//! `postwright state adopt ID MEDIA_ID`: a person says "this live media is
//! that post" — the answer to a possible twin apply would not adopt by
//! itself. Written like any other state change: under the record's lease,
//! through the same store, so it never races an apply.

use super::{make_plan, open, Ask, Exit, Failure, Globals};
use crate::plan::{Action, Entry};
use crate::report::Format;
use crate::state::{Locked, Reach, Record, Status};
use std::io::Write;

/// `postwright state adopt ID MEDIA_ID [--account NAME]`.
pub fn state_adopt(
    g: &Globals,
    format: Format,
    id: &str,
    media_id: &str,
    account: Option<&str>,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    if media_id.is_empty()
        || !media_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(Failure::Usage(format!(
            "MEDIA_ID `{media_id}`: a media id is letters, digits and `_` (e.g. 17912345678901234)"
        )));
    }
    let (config, store) = open(g, format, out)?;
    let store = store.as_ref();
    let ask = Ask {
        at: None,
        prune: false,
        read_only: None,
    };
    let planned = make_plan(g, format, config, store, ask, out)?;
    let entry = pick(&planned.plan.entries, id, account)?;
    let Some(kind) = entry.kind else {
        return Err(Failure::Usage(format!(
            "post `{id}` has no type: fix it first"
        )));
    };
    let mut state = planned.state;
    if let Some((other, _)) = state
        .records()
        .find(|(_, r)| r.media_id.as_deref() == Some(media_id))
    {
        return Err(Failure::Error(format!(
            "media {media_id} is recorded for post `{other}` already; nothing changed"
        )));
    }
    match store.lock() {
        Ok(Locked::Acquired { .. }) => {}
        Ok(Locked::Held(lease)) => {
            return Err(Failure::Error(format!(
                "apply is held by {}; nothing changed. Run this again once it is done.",
                lease.describe()
            )));
        }
        Ok(Locked::Moved) => {
            return Err(Failure::Error(
                "the state record changed while it was read; nothing changed. Run this again."
                    .into(),
            ));
        }
        Err(e) => return Err(Failure::Error(e.to_string())),
    }
    let account = entry.acct().to_string();
    let mut record = Record::new(
        Status::Published,
        &entry.file,
        &account,
        kind,
        entry.content_hash.as_deref().unwrap_or_default(),
    );
    record.media_id = Some(media_id.to_string());
    record.media_hash.clone_from(&entry.media_hash);
    record.caption_hash.clone_from(&entry.caption_hash);
    state.insert(&entry.id, record);
    let message = format!("adopted {} by hand: media {media_id} ({account})", entry.id);
    let saved = store.save(&state, &message, Reach::Shared);
    if let Err(e) = store.release() {
        eprintln!(
            "warning: the lease could not be released ({e}); the next apply waits until it expires"
        );
    }
    match saved {
        Ok(()) => {
            eprintln!(
                "recorded {} ({}) as published on {account} with media {media_id}; apply will not publish it, and reads its permalink on its next run",
                entry.id, entry.file
            );
            Ok(Exit::Ok)
        }
        Err(e) => Err(Failure::Error(format!("{e}; nothing changed"))),
    }
}

/// The plan entry to adopt: the post `id` on `account` (needed when it
/// goes to several), one the record does not know as live.
fn pick<'p>(entries: &'p [Entry], id: &str, account: Option<&str>) -> Result<&'p Entry, Failure> {
    let of_post: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.id == id && e.action != Action::Removed)
        .collect();
    if of_post.is_empty() {
        return Err(Failure::Usage(format!(
            "no post has the id `{id}` (`postwright plan` lists them)"
        )));
    }
    let entry = match account {
        Some(a) => of_post
            .iter()
            .find(|e| e.acct() == a)
            .copied()
            .ok_or_else(|| Failure::Usage(format!("post `{id}` does not go to account `{a}`")))?,
        None if of_post.len() == 1 => of_post[0],
        None => {
            let names: Vec<&str> = of_post.iter().map(|e| e.acct()).collect();
            return Err(Failure::Usage(format!(
                "post `{id}` goes to several accounts ({}): say which with --account",
                names.join(", ")
            )));
        }
    };
    match entry.action {
        Action::Publish
        | Action::Scheduled
        | Action::Draft
        | Action::Duplicate
        | Action::Overdue => Ok(entry),
        Action::Invalid => Err(Failure::Usage(format!(
            "post `{id}` is invalid: fix it first (`postwright validate`)"
        ))),
        Action::Resume => Err(Failure::Usage(format!(
            "post `{id}` is being published (an apply stopped mid-publish): run apply, which asks the platform what happened"
        ))),
        other => Err(Failure::Usage(format!(
            "post `{id}` is already recorded ({other}): nothing to adopt"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, account: &str, action: Action) -> Entry {
        Entry {
            account: Some(account.into()),
            ..Entry::new(id, &format!("posts/{id}.md"), action, String::new())
        }
    }

    fn refusal(r: Result<&Entry, Failure>) -> String {
        match r {
            Err(Failure::Usage(m)) => m,
            Err(other) => panic!("not a usage error: {other:?}"),
            Ok(e) => panic!("picked {e:?}"),
        }
    }

    #[test]
    fn a_post_to_several_accounts_needs_account_and_only_unrecorded_posts_are_adopted() {
        let entries = [
            entry("launch", "brand", Action::Publish),
            entry("launch", "brand-threads", Action::Overdue),
            entry("old", "brand", Action::Published),
            entry("live", "brand", Action::Resume),
        ];
        let several = refusal(pick(&entries, "launch", None));
        assert!(
            several.contains("several accounts (brand, brand-threads): say which with --account"),
            "{several}"
        );
        let picked = pick(&entries, "launch", Some("brand-threads")).unwrap();
        assert_eq!(picked.acct(), "brand-threads");
        assert!(refusal(pick(&entries, "launch", Some("other"))).contains("does not go to account"));
        assert!(refusal(pick(&entries, "old", None)).contains("already recorded (published)"));
        assert!(refusal(pick(&entries, "live", None)).contains("run apply"));
        assert!(refusal(pick(&entries, "nope", None)).contains("no post has the id `nope`"));
    }
}
