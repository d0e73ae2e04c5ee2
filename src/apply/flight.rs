//! What a run has in flight, as its journal last left it: kept outside the
//! run's future so that a panic, which drops that future, can still be
//! followed by a word on what the next apply will find.

use crate::state::{State, Status};
use std::any::Any;
use std::sync::{Arc, Mutex};

/// Shared between the journal (which updates it on every write) and the
/// command (which reads it when the run panicked). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Flight(Arc<Mutex<Seen>>);

#[derive(Debug, Default)]
struct Seen {
    /// The write being made, until it is done.
    writing: Option<String>,
    /// The last write that was made.
    written: Option<String>,
    /// Records the last write left half-way (`creating`, `publishing`).
    unsettled: Vec<String>,
}

impl Flight {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        // A panic while it was held leaves nothing half-changed that
        // matters: every field is replaced whole.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A journal write of `message` starts.
    pub(super) fn writing(&self, message: &str) {
        self.seen().writing = Some(message.to_string());
    }

    /// The write of `message` is done; `state` is what it wrote.
    pub(super) fn written(&self, message: &str, state: &State) {
        let unsettled = state
            .records()
            .filter(|(_, r)| matches!(r.status, Status::Creating | Status::Publishing))
            .map(|(id, r)| {
                let container = r
                    .container_id
                    .as_deref()
                    .map(|c| format!(", handle {c}"))
                    .unwrap_or_default();
                format!("{id} on {} ({}{container})", r.account, r.status.name())
            })
            .collect();
        let mut seen = self.seen();
        seen.writing = None;
        seen.written = Some(message.to_string());
        seen.unsettled = unsettled;
    }

    /// Lines for people: the write in progress, the last one made, and
    /// the records the next apply settles by asking the platform.
    pub fn describe(&self) -> Vec<String> {
        let seen = self.seen();
        let mut lines = Vec::new();
        if let Some(w) = &seen.writing {
            lines.push(format!(
                "in flight: the journal write \"{w}\" (it may not have been made)"
            ));
        }
        match &seen.written {
            Some(w) => lines.push(format!("last recorded: \"{w}\"")),
            None => lines.push("last recorded: nothing in this run".into()),
        }
        if seen.unsettled.is_empty() {
            lines.push("unsettled in the record: none".into());
        } else {
            lines.push(format!(
                "unsettled in the record (the next apply asks the platform what became of them, never posting again blindly): {}",
                seen.unsettled.join("; ")
            ));
        }
        lines
    }
}

/// The message a panic carried (`panic!("…")` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Record;

    #[test]
    fn says_the_write_in_progress_and_the_unsettled_records() {
        let flight = Flight::default();
        let mut state = State::default();
        let mut r = Record::new(
            Status::Publishing,
            "posts/a.md",
            "brand",
            crate::content::PostType::Image,
            "h",
        );
        r.container_id = Some("c7".into());
        state.insert("a", r);
        flight.written("publishing a (handle c7)", &state);
        flight.writing("published a as m1");
        let text = flight.describe().join("\n");
        assert!(
            text.contains("in flight: the journal write \"published a as m1\""),
            "{text}"
        );
        assert!(
            text.contains("last recorded: \"publishing a (handle c7)\""),
            "{text}"
        );
        assert!(
            text.contains("a on brand (publishing, handle c7)"),
            "{text}"
        );
    }

    #[test]
    fn a_settled_record_is_not_in_flight() {
        let flight = Flight::default();
        let mut state = State::default();
        let r = Record::new(
            Status::Published,
            "posts/a.md",
            "brand",
            crate::content::PostType::Image,
            "h",
        );
        state.insert("a", r);
        flight.written("published a", &state);
        let text = flight.describe().join("\n");
        assert!(text.contains("unsettled in the record: none"), "{text}");
        assert!(!text.contains("in flight:"), "{text}");
    }

    #[test]
    fn reads_both_kinds_of_panic_message() {
        let s: Box<dyn Any + Send> = Box::new("static");
        assert_eq!(panic_message(s.as_ref()), "static");
        let s: Box<dyn Any + Send> = Box::new(String::from("owned"));
        assert_eq!(panic_message(s.as_ref()), "owned");
        let s: Box<dyn Any + Send> = Box::new(7u8);
        assert_eq!(panic_message(s.as_ref()), "a panic without a message");
    }
}
