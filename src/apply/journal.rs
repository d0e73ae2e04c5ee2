//! The journal: the state record and the store it is saved to.

use super::flight::Flight;
use crate::state::{Reach, Record as StateEntry, State, StateError, Store};

/// The journal: the state record and the store it is saved to. Every
/// change is saved before the next outside-world step.
pub(super) struct Journal<'a> {
    pub(super) state: State,
    pub(super) store: &'a dyn Store,
    /// Told of every write, so a panic can say what was in flight.
    pub(super) flight: Flight,
    /// A change made in memory and not yet written ([`Journal::owe`]).
    pub(super) owed: Option<String>,
}

impl Journal<'_> {
    /// A change the next run could also find out by reading Instagram: it
    /// may stay on this machine until the next [`Journal::checkpoint`].
    pub(super) fn save(&mut self, message: &str) -> Result<(), StateError> {
        self.write(message, Reach::Local)
    }

    /// A change that must be where the next run reads it (the remote)
    /// before the next step: just before `media_publish` (after it, the
    /// handle journaled here lets the next run find the post live, so the
    /// media id is a local [`Journal::save`]).
    pub(super) fn checkpoint(&mut self, message: &str) -> Result<(), StateError> {
        self.write(message, Reach::Shared)
    }

    /// A change the next run can find out by reading, left in memory for
    /// the next write to carry (each write holds the whole record), or
    /// [`Journal::settle`] when no write comes: a post's media id after
    /// `media_publish`, whose `publishing` entry with its handle is already
    /// checkpointed. Between publishes one write a post instead of two.
    pub(super) fn owe(&mut self, message: &str) {
        if self.owed.is_none() {
            self.owed = Some(message.to_string());
        }
    }

    /// Writes what [`Journal::owe`] left in memory, if anything.
    pub(super) fn settle(&mut self) -> Result<(), StateError> {
        match self.owed.clone() {
            Some(message) => self.write(&message, Reach::Local),
            None => Ok(()),
        }
    }

    fn write(&mut self, message: &str, reach: Reach) -> Result<(), StateError> {
        self.owed = None;
        self.flight.writing(message);
        crate::failpoints::state_error("journal.write.before", || self.store.location())?;
        self.store.save(&self.state, message, reach)?;
        crate::failpoints::state_error("journal.write.after", || self.store.location())?;
        self.flight.written(message, &self.state);
        Ok(())
    }

    /// The record of `(id, account)`, which this run wrote before the step
    /// that asks for it. Absent, the step stops with an error naming the
    /// post and the record rather than guessing (a guess could publish
    /// twice).
    pub(super) fn entry(
        &mut self,
        (id, account): (&str, &str),
    ) -> Result<&mut StateEntry, StateError> {
        let at = self.store.location();
        self.state
            .get_mut(id, account)
            .ok_or_else(|| StateError::NoRecord {
                at,
                id: id.to_string(),
                account: account.to_string(),
            })
    }
}
