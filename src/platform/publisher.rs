//! The seam between apply and a platform: the [`Publisher`] trait, and the
//! platform-neutral words apply decides with (handle states, error
//! classes, live media, comments, quota, capabilities).
//!
//! Apply is generic over a `Publisher` (`AccountRun<P: Publisher>`): it
//! never sees a wire format — status strings, parameter names, subcodes,
//! login differences stay inside the platform's folder. Every future is
//! `Send`, so a publisher's calls run on tokio tasks; no `dyn` is needed
//! (the registry, [`super::with_publisher`], picks the type).

use crate::content::PostType;
use crate::hosting::Hosting;
use crate::validate::ValidPost;
use jiff::Timestamp;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// What to do about an error: the vocabulary every platform's errors are
/// classified into, so apply decides without reading a platform's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// Server trouble, timeouts, resets: retry with backoff.
    Transient,
    /// Too many calls: stop calling for this account and wait.
    RateLimited,
    /// The post (its container) is still processing: poll, then publish.
    NotReady,
    /// The handle expired (or is gone): prepare the post again.
    Expired,
    /// The platform says to prepare the post again: rebuild once within
    /// the run.
    Rebuild,
    /// The handle is not found yet or was lost: try the same handle
    /// again briefly, then rebuild.
    ContainerMissing,
    /// The publishing limit is used up: defer.
    QuotaReached,
    /// The platform could not download a media URL: fix the hosting.
    MediaFetch,
    /// The post itself is not acceptable: fix the file.
    Content,
    /// The token is expired or invalid: refresh it.
    Auth,
    /// A scope is missing: re-authorize with it.
    Permission,
    /// The account is blocked or restricted: stop publishing.
    Blocked,
    /// The platform does not offer the call (see [`Capabilities`]).
    Unsupported,
    /// Anything else.
    Other,
}

impl ErrorClass {
    /// Whether every further call for the account should stop.
    pub fn stops_account(self) -> bool {
        matches!(
            self,
            ErrorClass::Auth
                | ErrorClass::Permission
                | ErrorClass::Blocked
                | ErrorClass::RateLimited
        )
    }
}

/// A platform's error, as apply needs to know it.
pub trait PlatformError: std::error::Error + Send + Sync + 'static {
    /// What to do about it.
    fn class(&self) -> ErrorClass;
    /// One line for people: the error and what to do.
    fn explain(&self) -> String;
    /// A short name for progress lines (a code), or the error itself.
    fn short(&self) -> String;
    /// A "make a new container" refusal that may also mean a bad token:
    /// when a new container is refused the same way, check the token.
    fn suspect_token(&self) -> bool {
        false
    }
}

/// Where a prepared post (its handle: a container, a record key) is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    /// Still processing the media.
    InProgress,
    /// Ready to publish.
    Finished,
    /// The platform could not process the media.
    Error,
    /// Not published in time, or gone: the post is prepared again.
    Expired,
    /// It is live.
    Published,
    /// Anything else the platform may answer (kept for messages).
    Unknown(String),
}

/// A handle's state, and for a failed one why (for people) and its class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    pub state: ContainerState,
    /// The platform's name for the state (`FINISHED`), for messages.
    pub code: String,
    /// Set for every state but in progress and finished.
    pub failure: Option<Failure>,
    /// Published: the live media's id, when the platform says which it
    /// became (Bluesky: the record's at-uri); apply then records it
    /// without looking among the account's live posts.
    pub media: Option<String>,
}

/// Why a handle cannot be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub class: ErrorClass,
}

impl fmt::Display for ContainerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// Which of the account's lists of media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feed {
    Posts,
    Stories,
}

impl Feed {
    /// The list a post of this type shows in.
    pub fn of(kind: PostType) -> Feed {
        if kind == PostType::Story {
            Feed::Stories
        } else {
            Feed::Posts
        }
    }
}

/// A published media, as the platform lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveMedia {
    pub id: String,
    pub caption: Option<String>,
    pub permalink: Option<String>,
    /// When it went live, as the platform wrote it (for messages).
    pub timestamp: Option<String>,
    /// `timestamp`, read.
    pub published: Option<Timestamp>,
    pub comments_enabled: Option<bool>,
    /// The post types this media can be (a video may be a reel or a story).
    pub kinds: Vec<PostType>,
    /// How many media items it holds (a carousel's children; 0 for text),
    /// when the platform said: the lost-record guard adopts a twin only
    /// when this matches the post's.
    pub items: Option<usize>,
}

/// A comment on a media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: String,
    pub text: Option<String>,
    pub username: Option<String>,
}

/// The account's publishing allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub used: u64,
    pub total: u64,
}

/// What a platform (for one account: Instagram's login decides some) can
/// do. Apply, auth, plan and the preview ask these instead of naming a
/// platform; [`Default`] is a platform that can do none of the optional
/// things but delete and comment (set them explicitly).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Why posts cannot be deleted through the API; `None`: they can.
    pub no_delete: Option<String>,
    /// Local videos can be sent as bytes instead of fetched from a URL.
    pub resumable_upload: bool,
    /// Why first comments and comment toggles are not available; `None`:
    /// they are.
    pub comments: Option<String>,
    /// Stories (`type: story`) exist.
    pub stories: bool,
    /// Its posts show on the Instagram-style profile grid the preview
    /// draws (3:4 tiles, publish order is grid order).
    pub grid: bool,
    /// A publishing allowance is read before publishing
    /// ([`Publisher::quota`]); without it the quota is unlimited.
    pub quota: bool,
    /// `auth refresh` renews the account's credential.
    pub token_refresh: bool,
    /// The platform can hold a post and publish it at its time by itself
    /// (Mastodon's scheduled statuses), within these limits; `None`: the
    /// CI engine's cron is the only scheduler. Used by accounts with
    /// `schedule = "native"` (see [`crate::plan::native`]).
    pub native_scheduling: Option<NativeScheduling>,
}

/// What a platform's own scheduler takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeScheduling {
    /// How far ahead a post must be for the platform to hold it; a time
    /// closer than that is refused or published at once (Mastodon: 5
    /// minutes, and at once). Plan hands over only posts due later than
    /// this plus [`NativeScheduling::MARGIN`].
    pub min_lead: jiff::SignedDuration,
    /// How many posts the platform holds at once per account.
    pub max_pending: usize,
    /// How many held posts may fall on one UTC day.
    pub max_per_day: usize,
}

impl NativeScheduling {
    /// Added to `min_lead`: the runner's clock may be behind the
    /// platform's, and the hand-over is made some time after the plan.
    pub const MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_secs(5 * 60);

    /// The earliest `publish_at` handed over by a run at `at`.
    pub fn earliest(&self, at: Timestamp) -> Timestamp {
        at.saturating_add(self.min_lead + Self::MARGIN)
            .unwrap_or(Timestamp::MAX)
    }
}

/// What a hand-over to the platform's scheduler became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handed {
    /// Held by the platform under this id until its time.
    Held(String),
    /// The platform published it at once (its time was too close): the
    /// live media's id.
    Published(String),
}

/// What preparing a post needs (owned: it runs on its own task).
#[derive(Debug, Clone)]
pub struct Prepare {
    pub post: ValidPost,
    pub repo: PathBuf,
    pub hosting: Hosting,
    /// `[media] store`: repo files are uploaded there and offered from it.
    pub store: Option<Arc<crate::hosting::store::MediaStore>>,
    pub upload_command: Option<String>,
    /// Send local videos as bytes (configured, and the platform can).
    pub resumable: bool,
    pub poll_interval: Duration,
    pub max_wait: Duration,
    /// Shared by the run's builds (`[api] concurrency`): a build holds a
    /// permit while it calls the platform, and lets it go while it waits
    /// for a carousel's video to be processed, so other posts' containers
    /// are made meanwhile.
    pub permits: Arc<Semaphore>,
}

/// A post, prepared: what was uploaded and built, and the handle that
/// publishes it.
///
/// The handle is the idempotency handle the journal records *before*
/// [`Publisher::publish`] (as `container_id` in the state, whose format
/// does not change): Meta's container id; Bluesky's record key (a TID the
/// client chooses); Mastodon's Idempotency-Key. After a crash or a lost
/// answer, [`Publisher::status`] of the handle says whether the post went
/// live, so nothing is published twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub handle: String,
    /// Parts made on the platform first (Meta's carousel item containers).
    pub children: Vec<String>,
}

/// Why a post could not be prepared.
#[derive(Debug, Clone)]
pub enum PrepareError<E> {
    /// The media cannot be offered to the platform (no URL, unreachable).
    Media(String),
    /// The media store could not take or serve a file (refused, absent,
    /// no answer): the post is deferred to a later run.
    Store(String),
    Api(E),
}

impl<E> From<E> for PrepareError<E> {
    fn from(e: E) -> Self {
        PrepareError::Api(e)
    }
}

/// A call a platform does not offer (see [`Capabilities`]): apply asks the
/// capabilities first and does not make it; the default methods of
/// [`Publisher`] answer with it (class [`ErrorClass::Unsupported`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

/// One account on one platform: everything apply asks of it — what any
/// platform does, whatever its shape:
///
/// 1. [`prepare`](Publisher::prepare): upload the media and build the
///    post; its [`Prepared::handle`] is journaled before publishing;
/// 2. [`status`](Publisher::status) of a handle: wait until it is ready,
///    or find after a crash whether it went live;
/// 3. [`publish`](Publisher::publish) once;
/// 4. [`find_live`](Publisher::find_live), [`read`](Publisher::read),
///    [`delete`](Publisher::delete) what is live.
///
/// Comments, quota and deletes are optional ([`Capabilities`]); their
/// default methods answer "unlimited" or [`Unsupported`].
///
/// Calls that change the outside world and are not idempotent (`publish`,
/// `post_comment`) are never repeated by the publisher: a lost answer is
/// resolved by apply reading (`status`, `comments`).
///
/// A platform whose post is built locally and sent whole at publish
/// (Bluesky's record) keeps what `prepare` built in memory, keyed by the
/// handle (the publisher is shared by the run's tasks: an `Arc` inside).
/// A handle it neither holds nor finds live — the run that built it
/// crashed — has [`ContainerState::Expired`]: apply prepares the post
/// again, with a new handle.
pub trait Publisher: Clone + Send + Sync + 'static {
    type Error: PlatformError + Clone + From<Unsupported>;

    /// The account, for messages.
    fn account(&self) -> &str;
    fn capabilities(&self) -> Capabilities;
    /// Whether the token still works (who it is).
    fn check_token(&self) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// The account's publishing allowance (asked only when
    /// [`Capabilities::quota`]); the default is unlimited.
    fn quota(&self) -> impl Future<Output = Result<Quota, Self::Error>> + Send {
        async {
            Ok(Quota {
                used: 0,
                total: u64::MAX,
            })
        }
    }
    /// Uploads the post's media and builds it (Meta: carousel items, then
    /// the post's own container): the handle that publishes it.
    fn prepare(
        &self,
        job: Prepare,
    ) -> impl Future<Output = Result<Prepared, PrepareError<Self::Error>>> + Send;
    /// Where a handle is: processing, ready, live (and as which media when
    /// the platform says), or gone and to be prepared again.
    fn status(
        &self,
        handle: &str,
    ) -> impl Future<Output = Result<ContainerStatus, Self::Error>> + Send;
    /// Publishes a handle: the live media's id. Never repeated inside.
    fn publish(&self, handle: &str) -> impl Future<Output = Result<String, Self::Error>> + Send;
    /// The account's newest media of `feed`, newest first.
    fn find_live(
        &self,
        feed: Feed,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<LiveMedia>, Self::Error>> + Send;
    fn read(&self, media: &str) -> impl Future<Output = Result<LiveMedia, Self::Error>> + Send;
    /// Several published media read in as few calls as the platform
    /// allows (for their permalinks, after a run's publishes): those found,
    /// by id. Any not in the answer are read one by one with [`read`]
    /// by the caller; the default finds none, so every one is read alone.
    ///
    /// [`read`]: Publisher::read
    fn read_many(
        &self,
        media: &[(String, Feed)],
    ) -> impl Future<Output = Result<HashMap<String, LiveMedia>, Self::Error>> + Send {
        let _ = media;
        async { Ok(HashMap::new()) }
    }
    /// The comments on a media (asked only when [`Capabilities::comments`]
    /// is `None`).
    fn comments(
        &self,
        media: &str,
    ) -> impl Future<Output = Result<Vec<Comment>, Self::Error>> + Send {
        let _ = media;
        async { Err(Unsupported("comments".into()).into()) }
    }
    /// Posts a comment: its id. Never repeated inside.
    fn post_comment(
        &self,
        media: &str,
        text: &str,
    ) -> impl Future<Output = Result<String, Self::Error>> + Send {
        let _ = (media, text);
        async { Err(Unsupported("comments".into()).into()) }
    }
    /// Turns comments on or off.
    fn set_comments(
        &self,
        media: &str,
        enabled: bool,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = (media, enabled);
        async { Err(Unsupported("comment settings".into()).into()) }
    }
    /// Deletes a media; one already gone counts as deleted (asked only
    /// when [`Capabilities::no_delete`] is `None`).
    fn delete(&self, media: &str) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = media;
        async { Err(Unsupported("deleting posts".into()).into()) }
    }

    // The platform's own scheduler (asked only when
    // [`Capabilities::native_scheduling`] is set). The hand-over is
    // journaled before `schedule`, like a publish: its answer may be lost,
    // and `find_held` then finds what it made.

    /// Hands a prepared post to the platform to publish at `at` itself.
    /// Never repeated inside with a new key.
    fn schedule(
        &self,
        handle: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<Handed, Self::Error>> + Send {
        let _ = (handle, at);
        async { Err(Unsupported("native scheduling".into()).into()) }
    }
    /// Moves a held post to `at`.
    fn reschedule(
        &self,
        held: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = (held, at);
        async { Err(Unsupported("native scheduling".into()).into()) }
    }
    /// Cancels a held post: `false` when it was not held any more
    /// (published at its time, or cancelled in the app).
    fn unschedule(&self, held: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        let _ = held;
        async { Err(Unsupported("native scheduling".into()).into()) }
    }
    /// When a held post goes out; `None` when it is not held any more.
    fn held(
        &self,
        held: &str,
    ) -> impl Future<Output = Result<Option<Timestamp>, Self::Error>> + Send {
        let _ = held;
        async { Err(Unsupported("native scheduling".into()).into()) }
    }
    /// A hand-over whose answer was lost: the held post it made (the same
    /// content, held for `at`), if any.
    fn find_held(
        &self,
        post: &ValidPost,
        at: Timestamp,
    ) -> impl Future<Output = Result<Option<String>, Self::Error>> + Send {
        let _ = (post, at);
        async { Err(Unsupported("native scheduling".into()).into()) }
    }

    /// A page of `feed` (at most `limit` posts, newest first) after the
    /// cursor `after` (`None`: the newest): what `import` writes as files
    /// and drift compares with the record. A platform without it answers
    /// [`Unsupported`].
    fn feed_page(
        &self,
        feed: Feed,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<FeedPage, Self::Error>> + Send {
        let _ = (feed, after, limit);
        async { Err(Unsupported("reading the live feed".into()).into()) }
    }
}

/// One media item of a live post, in the post's order.
///
/// `url` is where the platform serves the bytes now. On Meta's CDN it is a
/// signed URL (`oh`, `oe`, `_nc_*`) that works like a short-lived
/// credential and expires within days: it is used to download at once and
/// is never printed, logged, written to a file, the state or an error.
/// `Debug` leaves it out for that reason.
#[derive(Clone, PartialEq, Eq)]
pub struct LiveItem {
    /// The item's own id, where the platform has one (a carousel child).
    pub id: Option<String>,
    pub url: Option<String>,
    /// A video's cover image (signed like `url`), for the preview's grid
    /// of the live profile; `None` for images.
    pub thumbnail: Option<String>,
    pub video: bool,
    pub alt_text: Option<String>,
}

impl fmt::Debug for LiveItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveItem")
            .field("id", &self.id)
            .field("url", &self.url.as_ref().map(|_| "<not shown>"))
            .field("thumbnail", &self.thumbnail.as_ref().map(|_| "<not shown>"))
            .field("video", &self.video)
            .field("alt_text", &self.alt_text)
            .finish()
    }
}

/// A live post as `import` writes it and drift compares it: everything the
/// feed listing says of one post, in the platform's neutral words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePost {
    pub id: String,
    /// The post type a file for it has; `None` when the platform's type is
    /// one postwright cannot write (e.g. a live video).
    pub kind: Option<PostType>,
    pub caption: Option<String>,
    /// When it went live.
    pub published: Option<Timestamp>,
    pub permalink: Option<String>,
    pub comments_enabled: Option<bool>,
    /// The media in order (a carousel's children; one for an image, reel
    /// or story; none for text).
    pub items: Vec<LiveItem>,
    /// Usernames, where the listing returns them (Instagram's are an edge
    /// of their own, a call per post: not read).
    pub collaborators: Vec<String>,
    /// Pinned to the top of the profile, where the platform says.
    pub pinned: Option<bool>,
}

/// One page of a feed, newest first, and the cursor of the next one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedPage {
    pub posts: Vec<LivePost>,
    /// Pass to [`Publisher::feed_page`] for the following page; `None`:
    /// this was the last.
    pub next: Option<String>,
}
