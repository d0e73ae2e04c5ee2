//! The journal: the state record and the store it is saved to.

use crate::state::{Reach, Record as StateEntry, State, StateError, Store};

/// The journal: the state record and the store it is saved to. Every
/// change is saved before the next outside-world step.
pub(super) struct Journal<'a> {
    pub(super) state: State,
    pub(super) store: &'a dyn Store,
}

impl Journal<'_> {
    /// A change the next run could also find out by reading Instagram: it
    /// may stay on this machine until the next [`Journal::checkpoint`].
    pub(super) fn save(&mut self, message: &str) -> Result<(), StateError> {
        self.store.save(&self.state, message, Reach::Local)
    }

    /// A change that must be where the next run reads it (the remote)
    /// before the next step: just before `media_publish`, and right after.
    pub(super) fn checkpoint(&mut self, message: &str) -> Result<(), StateError> {
        self.store.save(&self.state, message, Reach::Shared)
    }

    pub(super) fn entry(&mut self, (id, account): (&str, &str)) -> Option<&mut StateEntry> {
        self.state.get_mut(id, account)
    }
}
