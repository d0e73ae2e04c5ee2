//! The account's access token: held in memory only and sent only in a
//! request's `Authorization` header; its Debug and Display never show it,
//! so neither a log line nor an error can (docs/mastodon.md, "Auth").

use std::fmt;

/// An OAuth access token.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(s: impl Into<String>) -> Token {
        Token(s.into())
    }

    /// The token itself, for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shown() {
        let t = Token::new("zK3-secret-token");
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert_eq!(format!("{t}"), "***");
        assert_eq!(format!("{:?}", Some(&t)), "Some(Token(***))");
        assert_eq!(t.expose(), "zK3-secret-token");
    }
}
