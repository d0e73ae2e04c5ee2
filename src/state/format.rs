//! The record on disk: pretty JSON, read in every earlier format and
//! written in this one ([`FORMAT_VERSION`]).

use super::{Record, State, StateError, FORMAT_VERSION};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `posts.<id>.<account>` ⇄ each post's records sorted by account; a
/// record's `account` comes from its key (one inside that disagrees is an
/// error).
pub(super) mod by_account {
    use super::Record;
    use serde::de::{Deserializer, Error, MapAccess, Visitor};
    use serde::ser::{SerializeMap, Serializer};
    use std::collections::BTreeMap;
    use std::fmt;

    pub fn serialize<S: Serializer>(
        posts: &BTreeMap<String, Vec<Record>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        struct Accounts<'a>(&'a [Record]);
        impl serde::Serialize for Accounts<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for r in self.0 {
                    m.serialize_entry(&r.account, r)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(posts.len()))?;
        for (id, records) in posts {
            m.serialize_entry(id, &Accounts(records))?;
        }
        m.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<Record>>, D::Error> {
        struct Accounts;
        impl<'de> Visitor<'de> for Accounts {
            type Value = Vec<Record>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of accounts to records")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Record>, A::Error> {
                let mut out: Vec<Record> = Vec::with_capacity(1);
                while let Some((account, mut record)) = map.next_entry::<String, Record>()? {
                    if !record.account.is_empty() && record.account != account {
                        return Err(A::Error::custom(format!(
                            "the record under account `{account}` says account `{}`",
                            record.account
                        )));
                    }
                    if out.iter().any(|r| r.account == account) {
                        return Err(A::Error::custom(format!("account `{account}` twice")));
                    }
                    record.account = account;
                    out.push(record);
                }
                out.sort_by(|a, b| a.account.cmp(&b.account));
                Ok(out)
            }
        }
        struct Posts;
        impl<'de> Visitor<'de> for Posts {
            type Value = BTreeMap<String, Vec<Record>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of post ids to their accounts")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(id) = map.next_key::<String>()? {
                    let records = map.next_value_seed(Seed)?;
                    out.insert(id, records);
                }
                Ok(out)
            }
        }
        struct Seed;
        impl<'de> serde::de::DeserializeSeed<'de> for Seed {
            type Value = Vec<Record>;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Record>, D::Error> {
                d.deserialize_map(Accounts)
            }
        }
        d.deserialize_map(Posts)
    }
}
/// Formats 1 and 2: one record per post id.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateV2 {
    #[serde(rename = "format_version")]
    _format_version: u32,
    #[serde(default)]
    posts: BTreeMap<String, Record>,
}
/// The version of a record that starts `{ "format_version": N,` as every
/// record postwright writes does; None for any other start (then a first
/// pass of serde reads it wherever it is). Saves that pass over the whole
/// record — a 10,000-post record's text is 4.6 MB — for what is the first
/// key; the records pass that follows reads the whole text either way and
/// refuses what is corrupt in it, a second `format_version` included.
pub(super) fn leading_version(text: &str) -> Option<u64> {
    let rest = ws(text).strip_prefix('{')?;
    let rest = ws(ws(rest).strip_prefix("\"format_version\"")?).strip_prefix(':')?;
    let rest = ws(rest);
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number = &rest[..digits];
    // JSON has no leading zeros; what follows must end the value.
    if number.is_empty() || (number.len() > 1 && number.starts_with('0')) {
        return None;
    }
    if !ws(&rest[digits..]).starts_with([',', '}']) {
        return None;
    }
    number.parse().ok()
}

/// `s` after JSON's whitespace, no more (`trim_start` would take any
/// Unicode space).
fn ws(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '\n', '\r'])
}

/// Parses a record, refusing corrupt and newer ones.
pub fn parse(text: &str, at: &str) -> Result<State, StateError> {
    /// The version alone: the rest is skipped, not built.
    #[derive(Deserialize)]
    struct Version {
        format_version: Option<serde_json::Value>,
    }
    let corrupt = |detail: String| StateError::Corrupt {
        at: at.to_string(),
        detail,
    };
    let version = match leading_version(text) {
        Some(version) => version,
        None => {
            let head: Version = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
            head.format_version
                .as_ref()
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| corrupt("no format_version".into()))?
        }
    };
    if version > u64::from(FORMAT_VERSION) {
        return Err(StateError::TooNew {
            at: at.to_string(),
            found: version,
        });
    }
    // Then straight into the records: no tree of values for 10,000 of them.
    let mut state = if version < 3 {
        // Migrated: each record goes under its own account.
        let old: StateV2 = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        let mut posts = Vec::with_capacity(old.posts.len());
        for (id, record) in old.posts {
            if record.account.is_empty() {
                return Err(corrupt(format!("post `{id}` has no account")));
            }
            posts.push((id, vec![record]));
        }
        // One record per id, already in the ids' order: the map is built
        // in one pass from them, the ids moved, not copied and inserted.
        State {
            posts: posts.into_iter().collect(),
            ..State::default()
        }
    } else {
        // Each record's account is set from its key as it is read.
        serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?
    };
    // Read as this version; the next save writes it so.
    state.format_version = FORMAT_VERSION;
    Ok(state)
}

/// The record as written: pretty JSON a person can read and diff.
pub fn render(state: &State) -> String {
    // Cannot fail: every map in `State` is keyed by strings and every
    // value is a plain struct, string, number or timestamp (serde_json
    // fails only on non-string map keys and on a failing writer).
    let mut s = serde_json::to_string_pretty(state).expect("state serialises");
    s.push('\n');
    s
}
