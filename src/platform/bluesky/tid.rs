//! Record keys for posts: TIDs ("timestamp identifiers"), the key type the
//! `app.bsky.feed.post` lexicon declares. A TID is a 64-bit number written
//! as 13 characters of base32-sortable (`234567abcdefghijklmnopqrstuvwxyz`):
//! the top bit 0, then 53 bits of microseconds since the Unix epoch, then
//! 10 bits of clock id. postwright chooses the key itself, before
//! `createRecord`, so that a lost answer can be checked by reading that
//! key (docs/bluesky.md, "Exactly once"). The PDS refuses a post whose key
//! is not a valid TID, so keys are checked before they are journaled.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
/// Characters of a TID.
pub const LEN: usize = 13;
const CLOCK_BITS: u32 = 10;
const MAX_MICROS: u64 = (1 << 53) - 1;

/// A valid TID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tid(String);

/// Why a string is not a TID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TidError {
    #[error("record key `{0}` is not a TID: it has {1} characters, a TID has 13")]
    Length(String, usize),
    #[error("record key `{0}` is not a TID: `{1}` is not one of 234567abcdefghijklmnopqrstuvwxyz (lower case)")]
    Character(String, char),
    #[error("record key `{0}` is not a TID: its first character must be one of 234567abcdefghij (it would not fit in 64 bits)")]
    TopBit(String),
}

impl Tid {
    /// The TID for `micros` since the epoch (at most 2^53 - 1) and `clock`
    /// (its low 10 bits).
    pub fn from_parts(micros: u64, clock: u16) -> Tid {
        let value = ((micros & MAX_MICROS) << CLOCK_BITS) | u64::from(clock & 0x3ff);
        Tid(encode(value))
    }

    /// Reads a TID, as the PDS checks one.
    pub fn parse(s: &str) -> Result<Tid, TidError> {
        if s.len() != LEN {
            return Err(TidError::Length(s.to_string(), s.chars().count()));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !c.is_ascii() || !ALPHABET.contains(&(*c as u8)))
        {
            return Err(TidError::Character(s.to_string(), c));
        }
        if !b"234567abcdefghij".contains(&s.as_bytes()[0]) {
            return Err(TidError::TopBit(s.to_string()));
        }
        Ok(Tid(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn value(&self) -> u64 {
        self.0.bytes().fold(0u64, |acc, b| {
            let digit = ALPHABET.iter().position(|&a| a == b).unwrap_or(0) as u64;
            (acc << 5) | digit
        })
    }

    /// Microseconds since the epoch.
    pub fn micros(&self) -> u64 {
        self.value() >> CLOCK_BITS
    }

    pub fn clock_id(&self) -> u16 {
        (self.value() & 0x3ff) as u16
    }
}

impl std::fmt::Display for Tid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Tid {
    type Err = TidError;
    fn from_str(s: &str) -> Result<Tid, TidError> {
        Tid::parse(s)
    }
}

fn encode(mut value: u64) -> String {
    let mut out = [b'2'; LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value & 31) as usize];
        value >>= 5;
    }
    String::from_utf8(out.to_vec()).expect("the alphabet is ASCII")
}

/// The last TID value handed out in this process.
static LAST: AtomicU64 = AtomicU64::new(0);

/// This process's clock id: random, so that two processes publishing at
/// the same microsecond still differ.
fn clock() -> u16 {
    static CLOCK: OnceLock<u16> = OnceLock::new();
    *CLOCK.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        (random & 0x3ff) as u16
    })
}

/// A new TID for now, greater than every TID this process made before
/// (even if the system clock steps back).
pub fn next() -> Tid {
    next_at(jiff::Timestamp::now().as_microsecond())
}

fn next_at(now_micros: i64) -> Tid {
    let now = u64::try_from(now_micros).unwrap_or(0).min(MAX_MICROS);
    let clock = u64::from(clock());
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let candidate = (now << CLOCK_BITS) | clock;
        let value = if candidate > last {
            candidate
        } else {
            (((last >> CLOCK_BITS) + 1).min(MAX_MICROS) << CLOCK_BITS) | clock
        };
        match LAST.compare_exchange_weak(last, value, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return Tid(encode(value)),
            Err(seen) => last = seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_encode_as_atproto_does() {
        assert_eq!(Tid::from_parts(0, 0).as_str(), "2222222222222");
        let t = Tid::from_parts(1_700_000_000_000_000, 5);
        assert_eq!(t.micros(), 1_700_000_000_000_000);
        assert_eq!(t.clock_id(), 5);
        assert_eq!(Tid::parse(t.as_str()), Ok(t.clone()));
        // 63 bits: the first character holds bits 60 to 63, the top one 0.
        assert_eq!(Tid::from_parts(MAX_MICROS, 0x3ff).as_str(), "bzzzzzzzzzzzz");
        // atproto's interop-test-files/syntax/tid_syntax_{valid,invalid}.txt
        for ok in [
            "3jzfcijpj2z2a",
            "7777777777777",
            "3zzzzzzzzzzzz",
            "a222222222222",
            "j222222222222",
            "azzzzzzzzzzzz",
        ] {
            assert!(Tid::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "3jzfcijpj2z21",
            "0000000000000",
            "3jzfcijpj2z2aa",
            "3jzfcijpj2z2",
            "3jzf-cij-pj2z-2a",
            "zzzzzzzzzzzzz",
            "kjzfcijpj2z2a",
        ] {
            assert!(Tid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_keys_are_refused_with_the_reason() {
        assert_eq!(
            Tid::parse("3jzfcijpj2z2"),
            Err(TidError::Length("3jzfcijpj2z2".into(), 12))
        );
        assert_eq!(
            Tid::parse("3jzfcijpj2z21"),
            Err(TidError::Character("3jzfcijpj2z21".into(), '1'))
        );
        assert!(matches!(
            Tid::parse("3JZFCIJPJ2Z2A"),
            Err(TidError::Character(_, 'J'))
        ));
        assert_eq!(
            Tid::parse("kjzfcijpj2z2a"),
            Err(TidError::TopBit("kjzfcijpj2z2a".into()))
        );
        assert!(matches!(
            Tid::parse("3jzfcijpj2z2é"),
            Err(TidError::Length(..))
        ));
        assert!(matches!(
            Tid::parse("3jzf-ijpj2z2a"),
            Err(TidError::Character(_, '-'))
        ));
        assert!(TidError::TopBit("k".into())
            .to_string()
            .contains("234567abcdefghij"));
    }

    #[test]
    fn next_is_valid_increasing_and_near_now() {
        let before = jiff::Timestamp::now().as_microsecond() as u64;
        let tids: Vec<Tid> = (0..2000).map(|_| next()).collect();
        let after = jiff::Timestamp::now().as_microsecond() as u64;
        for pair in tids.windows(2) {
            assert!(pair[0] < pair[1], "{} !< {}", pair[0], pair[1]);
            assert!(pair[0].micros() < pair[1].micros());
        }
        for t in &tids {
            assert_eq!(Tid::parse(t.as_str()).as_ref(), Ok(t));
            assert_eq!(t.clock_id(), clock());
        }
        // Within the window, give or take the 2,000 bumps past a busy
        // microsecond (and what other tests in this process took).
        assert!(tids[0].micros() >= before);
        assert!(tids[1999].micros() <= after + 1_000_000);
    }

    #[test]
    fn a_clock_that_steps_back_does_not_go_back() {
        let first = next();
        let earlier = next_at(1_000_000);
        // Other tests may take TIDs in between: only the order is certain.
        assert!(earlier > first, "{earlier} !> {first}");
        assert!(earlier.micros() > first.micros());
    }
}
