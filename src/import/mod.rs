//! `postwright import`: an account's live feed brought into the repo as
//! post files, each recorded as published, so nothing imported is ever
//! published again (docs/instagram.md, "Importing an account").
//!
//! Page by page through the platform's [`Publisher::feed_page`]: for each
//! live post not yet in the record, its media are downloaded, then its file
//! is written (and parsed back), and after the page every written or linked
//! post is recorded with the content hash `plan` computes for its file. A
//! failure mid-way (an expired token, a throttled account) records what was
//! written before it stops, so files and record agree; and a file written
//! just before a crash is linked by the next import, which finds it by
//! caption and type, instead of being written twice.

pub mod download;
pub mod file;
mod outcome;

pub use outcome::{Linked, Outcome, Skipped, Written};

use crate::config::Config;
use crate::content::PostType;
use crate::plan::{Action, Entry};
use crate::platform::{ErrorClass, Feed, LivePost, PlatformError, Publisher};
use crate::state::{Reach, Record, State, Status, Store};
use jiff::Timestamp;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Posts asked for in one listing call (Meta's largest page).
const PAGE: usize = 100;

/// `--media`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaMode {
    /// Into `media/imported/<account>/` in the repo.
    Download,
    /// Left as their URLs, where those carry no signature.
    Link,
}

/// What `import` is asked.
#[derive(Debug, Clone)]
pub struct Options {
    pub account: String,
    /// Only posts that went live at or after this.
    pub since: Option<Timestamp>,
    /// At most this many posts written or linked.
    pub limit: Option<usize>,
    pub media: MediaMode,
}

/// Where a live post goes.
enum Target {
    Written(Written),
    Linked { id: String, file: String },
}

struct Pending {
    live: LivePost,
    kind: PostType,
    target: Target,
}

/// A file the repo has for the account that the record does not know.
struct Candidate {
    id: String,
    file: String,
    kind: PostType,
    caption: String,
}

/// One import run.
pub struct Importer<'a> {
    repo: &'a Path,
    config: &'a Config,
    store: &'a dyn Store,
    state: State,
    options: Options,
    /// The platform's name for people.
    platform: &'static str,
    known: HashSet<String>,
    candidates: Vec<Candidate>,
    pending: Vec<Pending>,
    taken: usize,
    outcome: Outcome,
    http: reqwest::Client,
    /// The posts feed as listed, newest first: the live snapshot the
    /// preview's grid reads ([`crate::live`]).
    pub seen: Vec<LivePost>,
}

/// Why an import failed (after recording what it wrote).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ImportError(pub String);

impl<'a> Importer<'a> {
    /// An import into `repo` of the account in `options`, with the record
    /// `state` as loaded under the lease.
    pub fn new(
        repo: &'a Path,
        config: &'a Config,
        store: &'a dyn Store,
        state: State,
        options: Options,
    ) -> Importer<'a> {
        let account = options.account.clone();
        let platform = config
            .accounts
            .get(&account)
            .map_or("the platform", |a| a.platform.title());
        let known = state
            .records()
            .filter(|(_, r)| r.account == account)
            .filter_map(|(_, r)| r.media_id.clone())
            .collect();
        let mut importer = Importer {
            repo,
            config,
            store,
            state,
            options,
            platform,
            known,
            candidates: Vec::new(),
            pending: Vec::new(),
            taken: 0,
            outcome: Outcome {
                account,
                ..Outcome::default()
            },
            http: download::client(),
            seen: Vec::new(),
        };
        importer.candidates = importer.unrecorded_files();
        importer
    }

    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The plan of the repo as it is now against the record in memory.
    fn plan(&self) -> crate::plan::Plan {
        let validation = crate::validate::validate_repo(self.repo, self.config, None);
        let hosting = crate::hosting::Hosting::discover(self.repo, self.config);
        crate::plan::plan(&crate::plan::Inputs {
            tz: &self.config.timezone,
            accounts: &self.config.accounts,
            repo: self.repo,
            posts: &validation.posts,
            state: &self.state,
            at: Timestamp::now(),
            hosting: &hosting,
            prune: false,
            max_overdue: self.config.schedule.max_overdue(),
        })
    }

    /// The account's post files the record does not know, with their
    /// caption and type: a live post with the same is linked to one.
    fn unrecorded_files(&self) -> Vec<Candidate> {
        let account = &self.options.account;
        let validation = crate::validate::validate_repo(self.repo, self.config, None);
        validation
            .posts
            .iter()
            .filter_map(|checked| {
                let valid = checked.valid_for(account)?;
                let id = checked.id.clone()?;
                if self.state.get(&id, account).is_some() {
                    return None;
                }
                Some(Candidate {
                    id,
                    file: checked.file.rel.clone(),
                    kind: valid.kind,
                    caption: valid.post.fields.caption.clone().unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Reads the feed page by page (posts, then stories) and brings each
    /// live post in; records after every page.
    pub async fn run<P: Publisher>(&mut self, publisher: &P) -> Result<(), ImportError> {
        let stories = publisher.capabilities().stories;
        for feed in [Feed::Posts, Feed::Stories] {
            if feed == Feed::Stories && !stories {
                continue;
            }
            let name = match feed {
                Feed::Posts => "posts",
                Feed::Stories => "stories",
            };
            let mut after: Option<String> = None;
            loop {
                if self.full() {
                    break;
                }
                let page = match publisher.feed_page(feed, after.as_deref(), PAGE).await {
                    Ok(page) => page,
                    Err(e) => {
                        self.flush()?;
                        let why = stop_reason(&e, self.platform);
                        self.outcome.stopped = Some(why.clone());
                        return Err(ImportError(why));
                    }
                };
                self.outcome.pages += 1;
                eprintln!(
                    "import: {name} page {}: {} live posts",
                    self.outcome.pages,
                    page.posts.len()
                );
                let mut older = false;
                for live in page.posts {
                    if self.full() {
                        break;
                    }
                    if feed == Feed::Posts {
                        self.seen.push(live.clone());
                    }
                    let since = self.options.since;
                    if since.is_some_and(|s| live.published.is_some_and(|p| p < s)) {
                        // Newest first: every further post is older.
                        older = true;
                        break;
                    }
                    if let Err(e) = self.take(live).await {
                        self.flush()?;
                        self.outcome.stopped = Some(e.0.clone());
                        return Err(e);
                    }
                }
                self.flush()?;
                match page.next {
                    Some(next) if !older => after = Some(next),
                    _ => break,
                }
            }
        }
        Ok(())
    }

    fn full(&self) -> bool {
        self.options.limit.is_some_and(|l| self.taken >= l)
    }

    /// One live post: skipped when recorded, linked to a file that has it,
    /// or written with its media. Only a file that cannot be written stops
    /// the import.
    async fn take(&mut self, live: LivePost) -> Result<(), ImportError> {
        if self.known.contains(&live.id) {
            self.outcome.already_recorded += 1;
            return Ok(());
        }
        let Some(kind) = live.kind else {
            self.skip(
                &live.id,
                "its type is not one postwright publishes (image, carousel, reel, story)".into(),
            );
            return Ok(());
        };
        let caption = live.caption.clone().unwrap_or_default();
        let rel = self.file_for(&live);
        // The file an earlier import wrote before it stopped, or a file of
        // the person's own with the same caption and type. A post without
        // a caption (a story) matches only its own file: any other story
        // would match too.
        let same = |c: &Candidate| {
            c.file == rel
                || (c.kind == kind
                    && !caption.trim().is_empty()
                    && c.caption.trim_end() == caption.trim_end())
        };
        if let Some(at) = self.candidates.iter().position(same) {
            let c = self.candidates.remove(at);
            eprintln!("import: {} is {} already: linked", live.id, c.file);
            self.taken += 1;
            self.pending.push(Pending {
                live,
                kind,
                target: Target::Linked {
                    id: c.id,
                    file: c.file,
                },
            });
            return Ok(());
        }
        if self.repo.join(&rel).exists() {
            // Written for this media by an import that stopped before it
            // recorded it (even one that does not validate, so it was no
            // candidate): recorded now, not written again.
            let ours = format!("media {} of account {}.", live.id, self.options.account);
            let text = std::fs::read_to_string(self.repo.join(&rel)).unwrap_or_default();
            if text.lines().next().is_some_and(|l| l.ends_with(&ours)) {
                let id = crate::content::named_file(&rel, &self.config.content).default_id;
                eprintln!("import: {} is {rel} already: linked", live.id);
                self.taken += 1;
                self.pending.push(Pending {
                    live,
                    kind,
                    target: Target::Linked { id, file: rel },
                });
                return Ok(());
            }
            self.skip(
                &live.id,
                format!("{rel} exists and differs from the live post (caption or type): it was left as it is"),
            );
            return Ok(());
        }
        let Some(items) = self.media(&live).await? else {
            return Ok(());
        };
        let missing = items.iter().filter(|i| i.missing.is_some()).count();
        let draft = file::Draft {
            account: &self.options.account,
            platform: self.platform,
            media_id: &live.id,
            kind,
            caption: live.caption.as_deref(),
            published: live.published,
            permalink: live.permalink.as_deref(),
            comments_enabled: live.comments_enabled,
            collaborators: &live.collaborators,
            items,
        };
        let text = match file::checked(&rel, &self.config.content, &draft) {
            Ok(t) => t,
            Err(why) => {
                self.skip(&live.id, format!("its file would not read back: {why}"));
                return Ok(());
            }
        };
        write_atomic(&self.repo.join(&rel), text.as_bytes())
            .map_err(|e| ImportError(format!("cannot write {rel}: {e}")))?;
        eprintln!("import: wrote {rel}");
        let id = crate::content::named_file(&rel, &self.config.content).default_id;
        self.taken += 1;
        self.pending.push(Pending {
            target: Target::Written(Written {
                id,
                file: rel,
                media_id: live.id.clone(),
                kind,
                missing_media: missing,
                invalid: None,
            }),
            live,
            kind,
        });
        Ok(())
    }

    fn skip(&mut self, media_id: &str, reason: String) {
        eprintln!("import: {media_id} skipped: {reason}");
        self.outcome.skipped.push(Skipped {
            media_id: media_id.to_string(),
            reason,
        });
    }

    /// `<first content folder>/imported/<account>/<date>-<media id>.yaml`.
    fn file_for(&self, live: &LivePost) -> String {
        let folder = self
            .config
            .content
            .first()
            .map_or("posts", |f| f.trim_start_matches("./").trim_matches('/'));
        // Content at the repo's root (`content = ["."]`): no folder prefix.
        let prefix = match folder {
            "" | "." => String::new(),
            f => format!("{f}/"),
        };
        let date = live
            .published
            .map(|t| file::rfc3339(t)[..10].to_string())
            .unwrap_or_else(|| "undated".into());
        format!(
            "{prefix}imported/{}/{date}-{}.yaml",
            safe_name(&self.options.account),
            safe_name(&live.id)
        )
    }

    /// The post's media items for its file: downloaded, or linked; `None`
    /// when `--media link` cannot link them (the post is skipped).
    async fn media(&mut self, live: &LivePost) -> Result<Option<Vec<file::Item>>, ImportError> {
        let folder = format!("media/imported/{}", safe_name(&self.options.account));
        let mut items = Vec::new();
        for (n, item) in live.items.iter().enumerate() {
            let stem = format!("{}-{}", safe_name(&live.id), n + 1);
            let guess = format!(
                "/{folder}/{stem}.{}",
                if item.video { "mp4" } else { "jpg" }
            );
            let Some(url) = &item.url else {
                items.push(file::Item {
                    src: guess,
                    alt_text: item.alt_text.clone(),
                    missing: Some(format!(
                        "not downloaded: {} gave no URL for this item; put the file here",
                        self.platform
                    )),
                });
                continue;
            };
            if self.options.media == MediaMode::Link {
                if !download::linkable(url) {
                    self.skip(&live.id, format!(
                        "--media link: item {} is served from a URL with a query ({}: a signed URL that expires on Meta's CDN, a blob call on a Bluesky PDS), so it cannot stand in a file; import it with --media download",
                        n + 1, self.platform
                    ));
                    return Ok(None);
                }
                items.push(file::Item {
                    src: url.clone(),
                    alt_text: item.alt_text.clone(),
                    missing: None,
                });
                continue;
            }
            let dir = self.repo.join(&folder);
            let limits = download::Limits::for_item(item.video);
            match download::download(&self.http, url, &dir, &stem, item.video, limits).await {
                Ok(name) => {
                    self.outcome.media_downloaded += 1;
                    eprintln!(
                        "import: {}: downloaded item {} of {}",
                        live.id,
                        n + 1,
                        live.items.len()
                    );
                    items.push(file::Item {
                        src: format!("/{folder}/{name}"),
                        alt_text: item.alt_text.clone(),
                        missing: None,
                    });
                }
                Err(e @ download::DownloadError::Io { .. }) => {
                    return Err(ImportError(e.to_string()));
                }
                Err(e) => {
                    let hint = if e.gone() {
                        " (deleted in the app since it was listed, or its URL expired)"
                    } else {
                        ""
                    };
                    eprintln!(
                        "import: {}: item {} not downloaded: {e}{hint}",
                        live.id,
                        n + 1
                    );
                    items.push(file::Item {
                        src: guess,
                        alt_text: item.alt_text.clone(),
                        missing: Some(format!(
                            "not downloaded: {e}{hint}.\nPut the file here, or delete this post file if the post is gone."
                        )),
                    });
                }
            }
        }
        Ok(Some(items))
    }

    /// Records every pending post as published, with the hashes `plan`
    /// computes for its file, in one save.
    fn flush(&mut self) -> Result<(), ImportError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let plan = self.plan();
        let account = self.options.account.clone();
        let pending = std::mem::take(&mut self.pending);
        let mut written = Vec::new();
        let mut linked = Vec::new();
        for p in pending {
            let (id, file) = match &p.target {
                Target::Written(w) => (w.id.clone(), w.file.clone()),
                Target::Linked { id, file } => (id.clone(), file.clone()),
            };
            let entry = plan
                .entries
                .iter()
                .find(|e| e.file == file && e.acct() == account && e.action != Action::Removed);
            let id = entry.map_or(id, |e| e.id.clone());
            self.state.insert(&id, record(&p, &file, &account, entry));
            self.known.insert(p.live.id.clone());
            match p.target {
                Target::Written(mut w) => {
                    w.id = id;
                    w.invalid = entry.filter(|e| e.action == Action::Invalid).map(|e| {
                        e.problems
                            .first()
                            .map_or(e.reason.clone(), |p| p.message.clone())
                    });
                    if let Some(why) = &w.invalid {
                        eprintln!("import: warning: {} does not validate: {why}", w.file);
                    }
                    written.push(w);
                }
                Target::Linked { file, .. } => linked.push(Linked {
                    id,
                    file,
                    media_id: p.live.id.clone(),
                }),
            }
        }
        let message = format!(
            "import: {} posts of {account} recorded as published",
            written.len() + linked.len()
        );
        self.store
            .save(&self.state, &message, Reach::Shared)
            .map_err(|e| {
                ImportError(format!(
                    "the post files were written but the record could not be saved ({e}); run import again: it links the files it wrote"
                ))
            })?;
        // A long import keeps its lease (and sends what is still local).
        if let Err(e) = self.store.renew() {
            eprintln!("import: warning: the lease could not be renewed: {e}");
        }
        self.outcome.written.extend(written);
        self.outcome.linked.extend(linked);
        Ok(())
    }
}

/// The record of an imported post: published, as the platform says, with
/// the hashes of its file as `plan` computed them (empty when the file
/// does not validate — a missing media file — and `plan` says why).
fn record(p: &Pending, file: &str, account: &str, entry: Option<&Entry>) -> Record {
    let hash = entry.and_then(|e| e.content_hash.as_deref()).unwrap_or("");
    let mut r = Record::new(Status::Published, file, account, p.kind, hash);
    r.media_id = Some(p.live.id.clone());
    r.permalink.clone_from(&p.live.permalink);
    r.published_at = p.live.published;
    r.comments_enabled = p.live.comments_enabled;
    if let Some(e) = entry {
        r.media_hash.clone_from(&e.media_hash);
        r.caption_hash.clone_from(&e.caption_hash);
    }
    r
}

/// Why the feed could not be read further, for people.
fn stop_reason<E: PlatformError>(e: &E, platform: &str) -> String {
    let done = "what was imported before is written and recorded; run import again to go on";
    match e.class() {
        ErrorClass::RateLimited => format!(
            "{platform} says the account is throttled ({}): import stopped; {done} once the limit lifts",
            e.short()
        ),
        ErrorClass::Unsupported => format!(
            "postwright cannot read the live feed of {platform} accounts"
        ),
        _ => format!("{}; {done}", e.explain()),
    }
}

/// Media ids are digits (and `_` on Threads); anything else becomes `_`,
/// so an id can never name a path outside the folder.
fn safe_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes `path` whole or not at all.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string());
    let part: PathBuf = dir.join(format!(".{}.part", name.unwrap_or_default()));
    let mut f = std::fs::File::create(&part)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&part, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_never_leave_the_folder() {
        assert_eq!(safe_name("17900000000000001"), "17900000000000001");
        assert_eq!(safe_name("../../etc/passwd"), "______etc_passwd");
    }
}
