//! The pause before retrying a passing failure, shared by every platform's
//! transport: exponential, with jitter so that many clients retrying at
//! once spread out.

use std::time::Duration;

/// `base · 2^attempt` plus up to `base` of jitter.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let base_ms = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
    let jitter = random % base_ms.max(1);
    Duration::from_millis(
        base_ms
            .saturating_mul(1 << attempt.min(10))
            .saturating_add(jitter),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_at_most_one_base_of_jitter() {
        let base = Duration::from_millis(100);
        for attempt in 0..4 {
            let d = backoff(base, attempt).as_millis();
            let floor = 100u128 << attempt;
            assert!(d >= floor && d < floor + 100, "{attempt}: {d}");
        }
    }
}
