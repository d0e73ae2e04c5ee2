//! `--refresh` of `plan` and `status`: each account's live posts read
//! through its platform, and the drift against the record
//! ([`crate::plan::drift`]).

use crate::config::Config;
use crate::plan::drift::{self, Drift, Listing};
use crate::platform::{AccountWork, ErrorClass, Feed, LiveMedia, PlatformError, Publisher};
use crate::state::State;

/// How many of an account's newest posts are read: drift is judged for
/// the records these cover (a deleted post older than the listing is
/// not seen).
const NEWEST: usize = 100;

/// The drift of every account whose credential is set; accounts that
/// cannot be read are said on stderr and skipped (`refreshed` lists the
/// ones read).
pub struct Refreshed {
    pub drift: Vec<Drift>,
    pub refreshed: Vec<String>,
    pub skipped: Vec<String>,
}

/// Reads every account and writes its snapshot (`crate::live`) for the
/// preview's grid.
pub fn refresh(repo: &std::path::Path, config: &Config, state: &State) -> Refreshed {
    let mut out = Refreshed {
        drift: Vec::new(),
        refreshed: Vec::new(),
        skipped: Vec::new(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("warning: --refresh: cannot start the async runtime: {e}");
            return out;
        }
    };
    for (name, account) in &config.accounts {
        let set = std::env::var(account.token_env()).is_ok_and(|t| !t.trim().is_empty());
        if !set {
            let why = format!(
                "account {name}: not read (its credential variable {} is not set)",
                account.token_env()
            );
            eprintln!("note: --refresh: {why}");
            out.skipped.push(why);
            continue;
        }
        let oldest = state
            .records()
            .filter(|(_, r)| r.account == *name)
            .filter_map(|(_, r)| r.published_at)
            .min();
        let read = runtime.block_on(crate::platform::with_publisher(
            account.platform,
            config,
            name,
            account,
            ReadLive { oldest },
        ));
        match read.and_then(|r| r) {
            Ok((live, since, feed)) => {
                eprintln!(
                    "refreshed {name}: {} live post{} read",
                    live.len(),
                    if live.len() == 1 { "" } else { "s" }
                );
                out.drift.extend(drift::compare(
                    state,
                    Listing {
                        account: name,
                        live: &live,
                        since,
                    },
                ));
                let mut snapshot = if feed.is_empty() {
                    crate::live::Snapshot::of(name, &live, jiff::Timestamp::now())
                } else {
                    crate::live::Snapshot::of_feed(name, &feed, jiff::Timestamp::now())
                };
                // The grid's top rows get pictures (by content hash).
                let fetched = runtime.block_on(snapshot.fetch_thumbs(
                    repo,
                    &feed,
                    crate::preview::LIVE_TILES * 2,
                ));
                if fetched > 0 {
                    eprintln!("refreshed {name}: {fetched} thumbnails for the preview's grid");
                }
                if let Err(e) = snapshot.save(repo) {
                    eprintln!(
                        "warning: --refresh: cannot write the snapshot of {name} in {}: {e}",
                        crate::live::dir(repo).display()
                    );
                }
                out.refreshed.push(name.clone());
            }
            Err(why) => {
                let why = crate::hosting::redact::urls(&format!("account {name}: {why}"));
                eprintln!("warning: --refresh: {why}");
                out.skipped.push(why);
            }
        }
    }
    out
}

/// Reads an account's live posts: page by page back to the oldest post
/// the record has for it where the platform lists its feed
/// ([`Publisher::feed_page`], at most [`PAGES`] pages), else its newest
/// [`NEWEST`]. The list, the time from which it covers every post, and the
/// feed as listed (for the snapshot's thumbnails).
struct ReadLive {
    /// The oldest publish time the record has for the account.
    oldest: Option<jiff::Timestamp>,
}

/// Pages read at most (of 100): a bound on calls for a very old record.
const PAGES: usize = 20;

type Read = (
    Vec<LiveMedia>,
    Option<jiff::Timestamp>,
    Vec<crate::platform::LivePost>,
);

impl AccountWork for ReadLive {
    type Output = Result<Read, String>;

    async fn run<P: Publisher>(self, publisher: P) -> Self::Output {
        let mut feed: Vec<crate::platform::LivePost> = Vec::new();
        let mut after: Option<String> = None;
        let mut complete = false;
        for _ in 0..PAGES {
            let page = match publisher
                .feed_page(Feed::Posts, after.as_deref(), NEWEST)
                .await
            {
                Ok(page) => page,
                Err(e) if e.class() == ErrorClass::Unsupported && feed.is_empty() => {
                    return newest(&publisher).await;
                }
                Err(e) => return Err(e.explain()),
            };
            feed.extend(page.posts);
            let reached = match (self.oldest, feed.last().and_then(|p| p.published)) {
                (Some(oldest), Some(last)) => last <= oldest,
                _ => false,
            };
            match page.next {
                Some(next) if !reached => after = Some(next),
                Some(_) => break,
                None => {
                    complete = true;
                    break;
                }
            }
        }
        let live: Vec<LiveMedia> = feed.iter().map(as_media).collect();
        // The whole feed read: every record is judged; else back to the
        // oldest post listed.
        let since = if complete {
            None
        } else {
            Some(
                live.iter()
                    .filter_map(|m| m.published)
                    .min()
                    .unwrap_or_else(jiff::Timestamp::now),
            )
        };
        Ok((live, since, feed))
    }
}

/// A platform that does not page its feed: its newest posts.
async fn newest<P: Publisher>(publisher: &P) -> Result<Read, String> {
    let live = match publisher.find_live(Feed::Posts, NEWEST).await {
        Ok(l) => l,
        Err(e) if e.class() == ErrorClass::Unsupported => {
            return Err("its platform does not list live posts".into())
        }
        Err(e) => return Err(e.explain()),
    };
    // Only what the listing covers is judged: back to its oldest post (a
    // platform may list fewer than asked, and an older post missing from
    // it is not proved deleted). An empty listing proves nothing.
    let since = live
        .iter()
        .filter_map(|m| m.published)
        .min()
        .unwrap_or_else(jiff::Timestamp::now);
    Ok((live, Some(since), Vec::new()))
}

fn as_media(p: &crate::platform::LivePost) -> LiveMedia {
    LiveMedia {
        id: p.id.clone(),
        caption: p.caption.clone(),
        permalink: p.permalink.clone(),
        timestamp: p.published.map(|t| t.to_string()),
        published: p.published,
        comments_enabled: p.comments_enabled,
        kinds: p.kind.into_iter().collect(),
        items: Some(p.items.len()),
    }
}
