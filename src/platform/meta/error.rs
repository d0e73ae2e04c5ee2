//! Meta's error object, as the Graph API and the Threads API both send it
//! (`{"error": {message, type, code, error_subcode, …}}`). What it means —
//! its class — is each platform's: Instagram's subcode table
//! (`platform/instagram/error.rs`), Threads' codes
//! (`platform/threads/error.rs`). Messages never contain the token, and
//! URLs Meta quotes are redacted (they may be presigned).

use serde::Deserialize;
use std::fmt;

/// Meta's error object: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct MetaError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub error_user_title: Option<String>,
    #[serde(default)]
    pub error_user_msg: Option<String>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
    #[serde(default)]
    pub is_transient: Option<bool>,
    /// The HTTP status it came with.
    #[serde(skip)]
    pub http_status: u16,
    /// Rate limits: when Meta says access returns (usage headers).
    #[serde(skip)]
    pub regain: Option<std::time::Duration>,
}

impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Meta error {}", self.code)?;
        if let Some(s) = self.error_subcode {
            write!(f, "/{s}")?;
        }
        let msg = self.error_user_msg.as_deref().unwrap_or(&self.message);
        // Meta quotes the media URL (9004/2207052), which may be presigned.
        write!(f, ": {}", crate::hosting::redact::urls(msg))?;
        if let Some(r) = self.regain {
            write!(
                f,
                " (Meta expects access back in {} min)",
                r.as_secs().div_ceil(60)
            )?;
        }
        if let Some(t) = &self.fbtrace_id {
            write!(f, " (fbtrace_id {t})")?;
        }
        Ok(())
    }
}
