//! What the client sends and reads: a status to post and its form fields,
//! statuses, scheduled statuses, uploads and their processing state, the
//! account. Only the fields postwright uses are read; an answer's other
//! fields are ignored. Facts and links: docs/mastodon.md.

use jiff::Timestamp;

/// Who the token is (`verify_credentials`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub username: String,
    /// `username` (local accounts are not qualified by their own server).
    pub acct: String,
    pub url: Option<String>,
}

/// The application a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub name: String,
    /// The scopes the application was registered with (Mastodon 4.3 and
    /// later; `None` before). They bound the token's: a token may have been
    /// granted fewer.
    pub scopes: Option<Vec<String>>,
}

/// An uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: String,
    /// `image`, `video`, `gifv`, `audio`, `unknown`.
    pub kind: String,
    /// `None` while the full-size file is processing.
    pub url: Option<String>,
    pub description: Option<String>,
}

/// Where an upload is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaState {
    /// Processed: it may be attached.
    Ready(Attachment),
    /// Still processing (202 to the upload, 206 to a look).
    Processing { id: String },
}

/// A file to upload.
#[derive(Clone)]
pub struct Upload {
    pub file_name: String,
    pub mime: String,
    pub data: Vec<u8>,
    /// Alt text.
    pub description: Option<String>,
    /// The focal point, x and y in -1.0..=1.0.
    pub focus: Option<(f64, f64)>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Upload({}, {} bytes of {})",
            self.file_name,
            self.data.len(),
            self.mime
        )
    }
}

/// Who may see a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Unlisted,
    Private,
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

/// A poll (not with media).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    pub options: Vec<String>,
    /// Seconds it stays open.
    pub expires_in: u64,
    pub multiple: bool,
    pub hide_totals: bool,
}

/// A status to post.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewStatus {
    pub status: String,
    pub media_ids: Vec<String>,
    pub visibility: Option<Visibility>,
    /// The content warning.
    pub spoiler_text: Option<String>,
    pub sensitive: bool,
    /// ISO 639-1.
    pub language: Option<String>,
    pub poll: Option<Poll>,
    pub in_reply_to_id: Option<String>,
    /// At least 5 minutes ahead: the server holds it and publishes it then.
    pub scheduled_at: Option<Timestamp>,
}

impl NewStatus {
    /// The form fields, arrays as Rails reads them (`media_ids[]`).
    pub fn form(&self) -> Vec<(String, String)> {
        let mut f = vec![("status".to_string(), self.status.clone())];
        let mut add = |k: &str, v: String| f.push((k.to_string(), v));
        for id in &self.media_ids {
            add("media_ids[]", id.clone());
        }
        if let Some(v) = self.visibility {
            add("visibility", v.as_str().into());
        }
        if let Some(s) = &self.spoiler_text {
            add("spoiler_text", s.clone());
        }
        if self.sensitive {
            add("sensitive", "true".into());
        }
        if let Some(l) = &self.language {
            add("language", l.clone());
        }
        if let Some(p) = &self.poll {
            for o in &p.options {
                add("poll[options][]", o.clone());
            }
            add("poll[expires_in]", p.expires_in.to_string());
            add("poll[multiple]", p.multiple.to_string());
            add("poll[hide_totals]", p.hide_totals.to_string());
        }
        if let Some(id) = &self.in_reply_to_id {
            add("in_reply_to_id", id.clone());
        }
        if let Some(at) = self.scheduled_at {
            add("scheduled_at", at.to_string());
        }
        f
    }
}

/// A published status, as far as postwright reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub id: String,
    pub created_at: Option<Timestamp>,
    /// HTML, as the server rendered the text.
    pub content: String,
    /// The source text: only in the answer to a delete.
    pub text: Option<String>,
    pub url: Option<String>,
    pub spoiler_text: String,
    pub visibility: Option<String>,
    pub media_ids: Vec<String>,
}

/// A status the server holds until its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledStatus {
    pub id: String,
    pub scheduled_at: Option<Timestamp>,
    /// `params.text`.
    pub text: Option<String>,
    /// `params.media_ids`.
    pub media_ids: Vec<String>,
    /// `params.idempotency`: the key it was created with, if kept.
    pub idempotency: Option<String>,
}

/// What a status POST made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    Status(Status),
    /// With `scheduled_at`.
    Scheduled(ScheduledStatus),
}

/// [`Client::post_once`]'s result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostOutcome {
    pub posted: Posted,
    /// The first try got no usable answer (this, for people) and the same
    /// key was sent again: the server answers a known key with the status
    /// it made, so this is still one status.
    pub repeated: Option<String>,
}
