//! An in-process [`Publisher`] for apply's unit tests: containers move
//! through scripted states, publish and quota answers are scripted, and
//! every call is logged, so a test can say "published exactly once".

use crate::content::PostType;
use crate::platform::{
    Capabilities, Comment, ContainerState, ContainerStatus, ErrorClass, Failure, Feed, LiveMedia,
    PlatformError, Prepare, PrepareError, Prepared, Publisher, Quota,
};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};

/// A scripted refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeError {
    pub class: ErrorClass,
    pub message: String,
    pub suspect_token: bool,
}

impl FakeError {
    pub fn new(class: ErrorClass) -> FakeError {
        FakeError {
            class,
            message: format!("fake {class:?}"),
            suspect_token: false,
        }
    }
}

impl fmt::Display for FakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FakeError {}

impl From<crate::platform::Unsupported> for FakeError {
    fn from(u: crate::platform::Unsupported) -> Self {
        FakeError {
            class: ErrorClass::Unsupported,
            message: u.0,
            suspect_token: false,
        }
    }
}

impl PlatformError for FakeError {
    fn class(&self) -> ErrorClass {
        self.class
    }
    fn explain(&self) -> String {
        self.message.clone()
    }
    fn short(&self) -> String {
        format!("{:?}", self.class)
    }
    fn suspect_token(&self) -> bool {
        self.suspect_token
    }
}

/// What one `publish` call does.
#[derive(Debug, Clone)]
pub enum PublishAnswer {
    /// Goes live and says so.
    Live,
    /// Goes live, but the answer is lost (a transient error comes back).
    Lost,
    /// Refused: nothing goes live.
    Refused(FakeError),
}

#[derive(Debug, Clone)]
struct Container {
    /// States still to be read, one per status call; the last one stays.
    states: VecDeque<ContainerState>,
    caption: String,
    kind: PostType,
    items: usize,
    /// The media it became, once live.
    media: Option<String>,
}

#[derive(Debug, Default)]
pub struct World {
    containers: HashMap<String, Container>,
    /// Answers of the next publish calls (then: `Live`).
    pub publish: VecDeque<PublishAnswer>,
    /// States a new container is read in before FINISHED.
    pub processing: Vec<ContainerState>,
    pub quota: Option<Quota>,
    pub live: Vec<LiveMedia>,
    /// Comments on any media, as (media, comment).
    pub comments: Vec<(String, Comment)>,
    /// Every call, in order: "prepare", "status c1", "publish c1", …
    pub calls: Vec<String>,
    /// How many of the next `prepare` calls panic (a bug in a build task).
    pub prepare_panics: u32,
    /// How many of the next `status` calls panic.
    pub status_panics: u32,
    /// A published handle's status names its media (as Bluesky's
    /// record does), instead of leaving it to be found among the live.
    pub status_names_media: bool,
    /// What the fake says it can do, in place of its default.
    pub capabilities: Option<Capabilities>,
    next: u32,
}

/// The fake: cheap to clone, one shared world.
#[derive(Clone, Default)]
pub struct FakePublisher {
    pub world: Arc<Mutex<World>>,
}

impl FakePublisher {
    pub fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap()
    }

    /// A container that exists already (made by an earlier run).
    pub fn add_container(&self, id: &str, states: &[ContainerState], caption: &str) {
        self.world().containers.insert(
            id.to_string(),
            Container {
                states: states.iter().cloned().collect(),
                caption: caption.to_string(),
                kind: PostType::Image,
                items: 1,
                media: None,
            },
        );
    }

    /// Calls whose log line starts with `what`.
    pub fn count(&self, what: &str) -> usize {
        self.world()
            .calls
            .iter()
            .filter(|c| c.starts_with(what))
            .count()
    }

    fn log(&self, call: String) {
        self.world().calls.push(call);
    }

    fn go_live(world: &mut World, container: &str) -> String {
        world.next += 1;
        let id = format!("media-{}", world.next);
        let c = world
            .containers
            .get_mut(container)
            .expect("known container");
        c.states = VecDeque::from([ContainerState::Published]);
        c.media = Some(id.clone());
        let now = jiff::Timestamp::now();
        let media = LiveMedia {
            id: id.clone(),
            caption: Some(c.caption.clone()),
            permalink: Some(format!("https://example.com/p/{id}")),
            timestamp: Some(now.to_string()),
            published: Some(now),
            comments_enabled: Some(true),
            kinds: vec![c.kind],
            items: Some(c.items),
        };
        world.live.insert(0, media);
        id
    }
}

fn code(state: &ContainerState) -> String {
    format!("{state:?}").to_uppercase()
}

impl Publisher for FakePublisher {
    type Error = FakeError;

    fn account(&self) -> &str {
        "fake"
    }

    fn capabilities(&self) -> Capabilities {
        if let Some(c) = self.world().capabilities.clone() {
            return c;
        }
        Capabilities {
            no_delete: None,
            resumable_upload: false,
            comments: None,
            quota: true,
            ..Capabilities::default()
        }
    }

    async fn check_token(&self) -> Result<(), FakeError> {
        self.log("check_token".into());
        Ok(())
    }

    async fn quota(&self) -> Result<Quota, FakeError> {
        self.log("quota".into());
        Ok(self.world().quota.unwrap_or(Quota { used: 0, total: 50 }))
    }

    async fn prepare(&self, job: Prepare) -> Result<Prepared, PrepareError<FakeError>> {
        let mut world = self.world();
        if world.prepare_panics > 0 {
            world.prepare_panics -= 1;
            drop(world);
            panic!("fake: prepare panics");
        }
        world.next += 1;
        let id = format!("c{}", world.next);
        world.calls.push(format!("prepare {id}"));
        let mut states: VecDeque<ContainerState> = world.processing.iter().cloned().collect();
        states.push_back(ContainerState::Finished);
        world.containers.insert(
            id.clone(),
            Container {
                states,
                caption: job.post.post.fields.caption.clone().unwrap_or_default(),
                kind: job.post.kind,
                items: job.post.media.len(),
                media: None,
            },
        );
        Ok(Prepared {
            handle: id,
            children: Vec::new(),
        })
    }

    async fn status(&self, container: &str) -> Result<ContainerStatus, FakeError> {
        let mut world = self.world();
        if world.status_panics > 0 {
            world.status_panics -= 1;
            drop(world);
            panic!("fake: status panics");
        }
        world.calls.push(format!("status {container}"));
        let Some(c) = world.containers.get_mut(container) else {
            return Err(FakeError::new(ErrorClass::ContainerMissing));
        };
        let state = if c.states.len() > 1 {
            c.states.pop_front().expect("not empty")
        } else {
            c.states
                .front()
                .cloned()
                .unwrap_or(ContainerState::Finished)
        };
        let failure = match state {
            ContainerState::InProgress | ContainerState::Finished => None,
            _ => Some(Failure {
                message: format!("container {container} is {}", code(&state)),
                class: ErrorClass::Other,
            }),
        };
        let media = c
            .media
            .clone()
            .filter(|_| state == ContainerState::Published && world.status_names_media);
        Ok(ContainerStatus {
            code: code(&state),
            state,
            failure,
            media,
        })
    }

    async fn publish(&self, container: &str) -> Result<String, FakeError> {
        let mut world = self.world();
        world.calls.push(format!("publish {container}"));
        match world.publish.pop_front().unwrap_or(PublishAnswer::Live) {
            PublishAnswer::Live => Ok(Self::go_live(&mut world, container)),
            PublishAnswer::Lost => {
                Self::go_live(&mut world, container);
                Err(FakeError::new(ErrorClass::Transient))
            }
            PublishAnswer::Refused(e) => Err(e),
        }
    }

    async fn find_live(&self, feed: Feed, _limit: usize) -> Result<Vec<LiveMedia>, FakeError> {
        let mut world = self.world();
        world.calls.push(format!("find_live {feed:?}"));
        Ok(world.live.clone())
    }

    async fn read(&self, media: &str) -> Result<LiveMedia, FakeError> {
        let mut world = self.world();
        world.calls.push(format!("read {media}"));
        world
            .live
            .iter()
            .find(|m| m.id == media)
            .cloned()
            .ok_or_else(|| FakeError::new(ErrorClass::Other))
    }

    async fn comments(&self, media: &str) -> Result<Vec<Comment>, FakeError> {
        let mut world = self.world();
        world.calls.push(format!("comments {media}"));
        Ok(world
            .comments
            .iter()
            .filter(|(on, _)| on == media)
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn post_comment(&self, media: &str, text: &str) -> Result<String, FakeError> {
        let mut world = self.world();
        world.calls.push(format!("post_comment {media}"));
        let id = format!("comment-on-{media}");
        let comment = Comment {
            id: id.clone(),
            text: Some(text.to_string()),
            username: None,
        };
        world.comments.push((media.to_string(), comment));
        Ok(id)
    }

    async fn set_comments(&self, media: &str, enabled: bool) -> Result<(), FakeError> {
        self.log(format!("set_comments {media} {enabled}"));
        Ok(())
    }

    async fn delete(&self, media: &str) -> Result<(), FakeError> {
        self.log(format!("delete {media}"));
        Ok(())
    }
}
