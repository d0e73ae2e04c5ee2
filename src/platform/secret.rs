//! A credential in memory: the only place it may be (never in a URL, a
//! log, an error or the state).

use std::fmt;

/// A token, secret or password: its Debug never shows it, and it has no
/// Display; `expose` is for the one header or body that carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
