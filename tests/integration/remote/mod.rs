//! The state record on the remote (issue 11): real git, real processes.
//!
//! A bare repository served by `git daemon` on 127.0.0.1 (and as file://
//! where speed matters), the publish fixture on its `main`, and runners that
//! are fresh clones of `main` only, as `actions/checkout` leaves them. The
//! git backend reads and writes the `postwright-state` branch on the remote,
//! under a lease (`lease.json` beside `state.json`).
//!
//! - [`killed`]: the whole job (shell and binary) SIGKILLed at random and
//!   right after Meta acted, seeded faults, fresh clones: 0 duplicates, 0
//!   lost.
//! - [`concurrent`]: two and three applies at once from separate clones,
//!   one holder at a time; two on one folder with the file backend.
//! - [`lease`]: a push rejected mid-run, the remote unreachable before a
//!   publish, an expired lease, a live lease and `state unlock`.
//! - [`private`]: a private repository's plan job: the remote refuses
//!   after the checkout; plan and status read what it fetched.
//!
//! Tests that need `git daemon` say on stderr that they are skipped when it
//! is missing, or fail with `POSTWRIGHT_REQUIRE_TOOLS=1`.

mod concurrent;
pub(crate) mod harness;
mod killed;
mod lease;
mod private;
mod selftest;
