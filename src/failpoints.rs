//! Named fail points at every boundary where postwright changes the
//! outside world, for the tests that prove a failure there loses nothing
//! and doubles nothing (tests/integration/failpoints.rs).
//!
//! Compiled in only with the cargo feature `failpoints` (the `fail`
//! crate); in a normal build [`hit`] is an empty inline function. With the
//! feature, the binary reads the `FAILPOINTS` environment variable at start,
//! e.g. `FAILPOINTS='publish.after=1*panic'` (the first hit panics) or
//! `FAILPOINTS='journal.write.before=1*return'` (the first hit fails the way
//! that boundary fails in life: a transport error from a platform or the
//! store, a write or push error from the record).
//!
//! Each effect has a point just before the call (nothing happened yet) and
//! just after it returned (it happened; the caller has not seen it). A new
//! effect gets its two names here and in [`NAMES`], and the matrix test
//! drives them all.

/// Every fail point, in the order a run meets them. The matrix test runs
/// each of them with `panic` and with `return`.
pub const NAMES: &[&str] = &[
    // A run's journal writes (both backends) and the git backend's pushes
    // (every push: the lease taken, renewed, released, and checkpoints).
    "journal.write.before",
    "journal.write.after",
    "state.push.before",
    "state.push.after",
    // `[media] store`: one object uploaded.
    "store.upload.before",
    "store.upload.after",
    // A resumable video upload (`video_upload = "resumable"`): the bytes sent.
    "upload.resumable.before",
    "upload.resumable.after",
    // A container (or carousel item) created.
    "container.create.before",
    "container.create.after",
    // `media_publish` / `threads_publish`.
    "publish.before",
    "publish.after",
    // A first comment posted.
    "comment.post.before",
    "comment.post.after",
    // Comments turned on or off on a live media.
    "comment.toggle.before",
    "comment.toggle.after",
    // A live media deleted (`--prune`).
    "media.delete.before",
    "media.delete.after",
];

/// `Some(message)` when the fail point `name` is set to `return`; panics
/// when it is set to `panic` (the `fail` crate's other actions work too).
#[cfg(feature = "failpoints")]
pub fn hit(name: &'static str) -> Option<String> {
    debug_assert!(NAMES.contains(&name), "fail point {name} is not in NAMES");
    fail::fail_point!(name, |_| {
        // Said where the tests read it: not every caller prints the error.
        eprintln!("fail point {name}: returning an error");
        Some(format!("fail point {name}: an error injected for a test"))
    });
    None
}

/// Without the feature: nothing, and the optimizer removes the call.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &'static str) -> Option<String> {
    None
}

/// [`hit`] as the record's write error (at `at`, the record's location).
pub fn state_error(
    name: &'static str,
    at: impl FnOnce() -> String,
) -> Result<(), crate::state::StateError> {
    match hit(name) {
        None => Ok(()),
        Some(message) => Err(crate::state::StateError::Write {
            at: at(),
            source: std::io::Error::other(message),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_come_in_before_after_pairs() {
        let mut seen = std::collections::BTreeSet::new();
        for name in NAMES {
            assert!(seen.insert(*name), "{name} twice");
        }
        for pair in NAMES.chunks(2) {
            let (a, b) = (pair[0], pair[1]);
            assert_eq!(
                a.strip_suffix(".before"),
                b.strip_suffix(".after"),
                "{a} and {b} must be one effect's pair"
            );
        }
    }

    /// Every name is used in the code, and every use is listed: a point
    /// added without a name here (or left behind after its call moved)
    /// would escape the matrix test.
    #[test]
    fn every_name_is_used_and_every_use_is_named() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = std::collections::BTreeSet::new();
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.ends_with("failpoints.rs") || path.extension() != Some("rs".as_ref()) {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split("failpoints::").skip(1) {
                    // The call's first argument: a quoted name before the
                    // statement ends.
                    let call = piece.split([';', '{']).next().unwrap_or("");
                    let Some(arg) = call.split('"').nth(1) else {
                        continue;
                    };
                    assert!(
                        NAMES.contains(&arg),
                        "{}: `{arg}` is not in NAMES",
                        path.display()
                    );
                    used.insert(arg.to_string());
                }
            }
        }
        for name in NAMES {
            assert!(used.contains(*name), "{name} is in NAMES but used nowhere");
        }
    }
}
