//! Problems found in a content repo, each tied to a file, a line and a rule.
//!
//! Every stage reports through [`Problem`]; the report module turns them into
//! human text, JSON or GitHub annotations. Rule ids are a public contract:
//! people silence, grep and document them, so they never change meaning.

use serde::Serialize;
use std::fmt;

/// How bad a problem is. Errors block `plan`/`apply`; warnings never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

macro_rules! rules {
    ($( $(#[doc = $doc:literal])* $variant:ident = $id:literal, $sev:ident; )*) => {
        /// A stable rule id. `postwright validate` names one on every problem.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $( $(#[doc = $doc])* $variant, )* }

        impl Rule {
            /// Every rule, in documentation order.
            pub const ALL: &'static [Rule] = &[ $(Rule::$variant,)* ];

            /// The id printed in diagnostics, e.g. `caption-too-long`.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// The severity this rule reports with.
            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$sev,)* }
            }

            /// One line saying what the rule checks (for `--help` and docs).
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => concat!($($doc),*).trim_ascii(),)* }
            }
        }
    };
}

rules! {
    /// postwright.toml is missing, malformed, or names something that does not exist.
    Config = "config", Error;
    /// The file is not valid YAML (or its front matter is never closed).
    YamlSyntax = "yaml-syntax", Error;
    /// The file is not UTF-8 text.
    Encoding = "encoding", Error;
    /// The post file is larger than 1 MiB, or too deeply nested, or expands too many aliases.
    FileTooLarge = "file-too-large", Error;
    /// A key the post format does not know (usually a typo).
    UnknownField = "unknown-field", Error;
    /// A value of the wrong type or outside the allowed values.
    Schema = "schema", Error;
    /// `publish_at` is not a date and time postwright can read.
    PublishAtInvalid = "publish-at-invalid", Error;
    /// `account` names no account of postwright.toml.
    UnknownAccount = "unknown-account", Error;
    /// Two post files have the same id.
    DuplicateId = "duplicate-id", Error;
    /// A media file does not exist.
    MediaMissing = "media-missing", Error;
    /// A media path leaves the repository (`..` or a symlink).
    MediaOutsideRepo = "media-outside-repo", Error;
    /// A media URL Meta cannot fetch (not https, or not plain ASCII).
    MediaUrl = "media-url", Error;
    /// Not a JPEG where an image goes, an unsupported video container, a video where only images go.
    MediaFormat = "media-format", Error;
    /// The post type cannot take this many media items.
    MediaCount = "media-count", Error;
    /// An image over its platform's size limit (Instagram 8 MiB).
    ImageTooLarge = "image-too-large", Error;
    /// A video over the size limit of its platform and post type (Instagram: reel 300 MB, story 100 MB).
    VideoTooLarge = "video-too-large", Error;
    /// Width to height ratio outside what the post type accepts (after EXIF orientation).
    AspectRatio = "aspect-ratio", Error;
    /// An image narrower than 320 px or wider than 1440 px: Instagram rescales it.
    ImageWidth = "image-width", Warning;
    /// Video length outside what the post type accepts.
    VideoDuration = "video-duration", Error;
    /// A caption over 2200 characters.
    CaptionTooLong = "caption-too-long", Error;
    /// More than 30 hashtags in the caption.
    TooManyHashtags = "too-many-hashtags", Error;
    /// More than 20 @-mentions in the caption.
    TooManyMentions = "too-many-mentions", Error;
    /// A carousel with fewer than 2 or more than 10 items.
    CarouselSize = "carousel-size", Error;
    /// More than 3 collaborators, a leading `@`, or collaborators on a story.
    Collaborators = "collaborators", Error;
    /// A field the post type cannot carry.
    FieldNotAllowed = "field-not-allowed", Error;
    /// A user tag with x or y outside 0–1, or without them on an image.
    UserTagPosition = "user-tag-position", Error;
    /// More than 5 product tags on a media item, a product tagged twice, x or y outside 0–1 or on a video.
    ProductTags = "product-tags", Error;
    /// More than 2 sponsors, the account as its own sponsor, or sponsors with `paid_partnership: false`.
    PaidPartnership = "paid-partnership", Error;
    /// A field only Facebook Login can publish (product tags, paid partnership) on an Instagram Login account.
    NeedsFacebookLogin = "needs-facebook-login", Error;
    /// Alt text over 1000 characters.
    AltTextTooLong = "alt-text-too-long", Error;
    /// A file that looks like a post (or is named on the command line) but is not read as one.
    NotAPost = "not-a-post", Warning;
    /// A post type or field the account's platform does not have (a story or a `first_comment` on Threads, a text-only post on Instagram).
    NotOnPlatform = "not-on-platform", Error;
    /// A post's text over its platform's limit, counted as the platform counts (Threads: 500 characters, an emoji as its UTF-8 bytes). Was `threads-text-too-long`.
    TextTooLong = "text-too-long", Error;
    /// More distinct links in a post's text than its platform takes (Threads: 5).
    TooManyLinks = "too-many-links", Error;
    /// A Threads `topic_tag` that is empty, over 50 characters, or has a `.` or `&`.
    TopicTag = "topic-tag", Error;
    /// A field that is not sent to this platform (Instagram's own fields on a post going only to Threads).
    NotSent = "not-sent", Warning;
    /// An image or video without alt text where the platform carries it (a platform that asks for it, e.g. Bluesky).
    AltTextMissing = "alt-text-missing", Warning;
    /// An account id that is still the placeholder `postwright init` wrote.
    PlaceholderId = "placeholder-id", Warning;
    /// `publish_at` falls between the apply workflow's scheduled runs by more than 15 minutes: the post goes out later than written.
    OffSchedule = "off-schedule", Warning;
    /// A media file that is a Git LFS pointer whose object this checkout does not have: the checks needing its bytes wait for apply.
    LfsObjectMissing = "lfs-object-missing", Warning;
    /// A post file that is not a regular file inside the repo (a symlink out, dangling or looping; a FIFO, socket or device).
    FileNotRegular = "file-not-regular", Error;
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    /// The start of a file: where file-level problems point.
    pub const START: Pos = Pos { line: 1, column: 1 };

    pub fn new(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }
}

/// One finding: where, which rule, what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub rule: Rule,
    /// Path relative to the repo root, `/`-separated.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Just past the last character of what is wrong (a whole value, a
    /// key), when known: the human format underlines `column..end`. Set
    /// with [`Problem::with_end`], read with [`Problem::end`].
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<End>,
    pub message: String,
    /// What to do about it, when there is something better to say than the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Other places involved (the other file of a duplicate id). A boxed
    /// slice, not a Vec: the same small-problem reason as [`End`].
    #[serde(skip_serializing_if = "<[Note]>::is_empty")]
    pub notes: Box<[Note]>,
    /// Set when the problem concerns only this platform's accounts of a
    /// post going to several platforms: its other targets are unaffected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<crate::platform::Platform>,
}

/// Where a problem's text ends: a [`Pos`] in half the space, because a
/// problem travels by value in `Result`s and should stay small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
struct End {
    line: u32,
    column: u32,
}

/// Another place a problem involves, shown below it with its own snippet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// Path relative to the repo root, `/`-separated.
    pub file: String,
    pub line: usize,
    pub column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Pos>,
    pub message: String,
}

impl Note {
    pub fn new(file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Note {
        Note {
            file: file.into(),
            line: pos.line,
            column: pos.column,
            end: None,
            message: short(message.into()),
        }
    }
}

impl Problem {
    pub fn new(rule: Rule, file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Problem {
            severity: rule.severity(),
            rule,
            file: file.into(),
            line: pos.line,
            column: pos.column,
            end: None,
            message: short(message.into()),
            help: None,
            notes: Box::default(),
            platform: None,
        }
    }

    /// Marks the problem as one of `platform`'s targets only, and says so
    /// in its message ("for Threads: …").
    pub fn for_platform(mut self, platform: crate::platform::Platform) -> Self {
        if self.platform.is_none() {
            self.message = format!("for {}: {}", platform.title(), self.message);
            self.platform = Some(platform);
        }
        self
    }

    /// Whether the problem stops a post's target on `platform`.
    pub fn blocks(&self, platform: crate::platform::Platform) -> bool {
        self.is_error() && self.platform.is_none_or(|p| p == platform)
    }

    /// Where the problem starts.
    pub fn pos(&self) -> Pos {
        Pos::new(self.line, self.column)
    }

    /// Underlines up to `end` (just past the last character); an end not
    /// after the start is ignored.
    pub fn with_end(mut self, end: Pos) -> Self {
        let narrow = |n: usize| u32::try_from(n).ok();
        if end > self.pos() {
            if let (Some(line), Some(column)) = (narrow(end.line), narrow(end.column)) {
                self.end = Some(End { line, column });
            }
        }
        self
    }

    /// Just past the last character of what is wrong, when known.
    pub fn end(&self) -> Option<Pos> {
        self.end
            .map(|e| Pos::new(e.line as usize, e.column as usize))
    }

    pub fn with_note(mut self, note: Note) -> Self {
        let mut notes = std::mem::take(&mut self.notes).into_vec();
        notes.push(note);
        self.notes = notes.into_boxed_slice();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(short(help.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sort key: file, then position, then rule, so output is stable.
    pub fn sort_key(&self) -> (&str, usize, usize, Rule) {
        (&self.file, self.line, self.column, self.rule)
    }
}

/// Longest message or help kept, in characters: whatever a message quotes
/// from a file (a key, a value) stays a short quote.
pub const MAX_MESSAGE_CHARS: usize = 400;

fn short(text: String) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// Line and column of a byte offset.
pub fn offset_to_pos(text: &str, offset: usize) -> Pos {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos::new(line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn rule_ids_are_unique_kebab_case_and_documented() {
        let mut seen = HashSet::new();
        for rule in Rule::ALL {
            let id = rule.id();
            assert!(seen.insert(id), "duplicate rule id {id}");
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id} is not kebab-case"
            );
            assert!(!rule.summary().is_empty(), "{id} has no summary");
        }
    }

    #[test]
    fn warnings_are_the_documented_few() {
        let warnings: Vec<_> = Rule::ALL
            .iter()
            .filter(|r| r.severity() == Severity::Warning)
            .map(|r| r.id())
            .collect();
        assert_eq!(
            warnings,
            [
                "image-width",
                "not-a-post",
                "not-sent",
                "alt-text-missing",
                "placeholder-id",
                "off-schedule",
                "lfs-object-missing"
            ]
        );
    }
}
