//! The posts of platforms that are not on the grid (their capabilities
//! say so), a section per platform: each post's version there as the
//! platform's card says it ([`crate::platform::PlatformSpec::card`]) —
//! the text with its live parts marked, its length against the limit,
//! the media with their alt text, and notes. Nothing here names a
//! platform. Contract for tests and scripts: each section carries
//! `data-cards="<platform>"`, each card `data-platform` and `data-post`,
//! in publish order.

use super::html::escape;
use super::{on_feed, when, Inputs, Made, Pick};
use crate::plan::{Action, Entry};
use crate::platform::card::{drawable, Card, Mark, Medium};
use crate::platform::Platform;
use jiff::Timestamp;
use std::fmt::Write as _;

/// One platform's cards, in publish order.
pub struct Section<'a> {
    pub platform: Platform,
    pub cards: Vec<Target<'a>>,
}

/// A target's card: its entry and the platform's card of its version
/// (`None`: no valid version, e.g. an invalid post; its problems show).
pub struct Target<'a> {
    when: Timestamp,
    entry: &'a Entry,
    card: Option<Card>,
}

impl<'a> Target<'a> {
    /// The card of `e`'s version on `platform`.
    pub(super) fn of(inputs: &Inputs<'a>, e: &'a Entry, platform: Platform) -> Target<'a> {
        Target {
            when: when(inputs, e),
            entry: e,
            card: inputs
                .versions
                .get(&(e.id.as_str(), e.acct()))
                .and_then(|post| {
                    let account = inputs.config.and_then(|c| c.accounts.get(e.acct()));
                    platform.spec().account_card(post, account)
                }),
        }
    }
}

/// Every platform off the grid that a post goes to, in registry order,
/// with its targets' cards in publish order (an invalid post, whose time
/// is not known, at the plan's time: first among what is to come).
pub fn sections<'a>(inputs: &Inputs<'a>) -> Vec<Section<'a>> {
    Platform::all()
        .filter(|p| !p.spec().capabilities(None).grid)
        .filter_map(|platform| {
            let mut cards: Vec<Target<'a>> = inputs
                .plan
                .entries
                .iter()
                .filter(|e| e.platform == Some(platform))
                .filter(|e| on_feed(e) || e.action == Action::Invalid)
                .map(|e| Target::of(inputs, e, platform))
                .collect();
            cards.sort_by(|a, b| (a.when, &a.entry.id).cmp(&(b.when, &b.entry.id)));
            (!cards.is_empty()).then_some(Section { platform, cards })
        })
        .collect()
}

/// The thumbnails the cards show: each medium of each card.
pub fn picks<'s>(sections: &'s [Section<'_>]) -> Vec<Pick<'s>> {
    sections
        .iter()
        .flat_map(|s| &s.cards)
        .filter_map(|c| c.card.as_ref())
        .flat_map(|c| &c.media)
        .map(|m| super::pick_item(&m.item))
        .collect()
}

/// The sections as HTML.
pub fn html(inputs: &Inputs<'_>, sections: &[Section<'_>], made: &Made) -> String {
    let mut out = String::new();
    for s in sections {
        let name = escape(s.platform.name());
        let _ = write!(
            out,
            "<section data-cards=\"{name}\"><h2>{}</h2>",
            escape(s.platform.title())
        );
        for shown in &s.cards {
            out.push_str(&card_html(inputs, s.platform, shown, made, false));
        }
        out.push_str("</section>");
    }
    out
}

/// A target's card; `titled`: it names its platform (beside other
/// platforms' cards, not under the platform's own heading).
pub(super) fn card_html(
    inputs: &Inputs<'_>,
    platform: Platform,
    shown: &Target<'_>,
    made: &Made,
    titled: bool,
) -> String {
    let e = shown.entry;
    let over = shown.card.as_ref().is_some_and(|c| c.over);
    // The time only when the post has one (an invalid post's is unknown).
    let time = match e.publish_at.or(inputs
        .state
        .get(&e.id, e.acct())
        .and_then(|r| r.published_at))
    {
        Some(t) => format!("{} · ", escape(&crate::time::local(t, inputs.tz))),
        None => String::new(),
    };
    let mut out = format!(
        "<div class=\"tcard{}\" data-platform=\"{}\" data-post=\"{}\" data-account=\"{}\"><div class=meta>{} · {} · {time}{}</div>",
        if over { " over" } else { "" },
        escape(platform.name()),
        escape(&e.id),
        escape(e.acct()),
        escape(e.acct()),
        escape(&e.file),
        escape(e.action.name())
    );
    if titled {
        let _ = write!(out, "<div class=ptitle>{}</div>", escape(platform.title()));
    }
    match &shown.card {
        Some(card) => {
            let class = if card.text.is_empty() {
                "text empty"
            } else {
                "text"
            };
            let _ = write!(
                out,
                "<p class=\"{class}\">{}</p><div class=\"count{}\" data-count>{}</div>",
                text_html(&card.text, &card.marks),
                if over { " over" } else { "" },
                escape(&card.count.to_string())
            );
            if !card.media.is_empty() {
                out.push_str("<div class=cmedia>");
                for m in &card.media {
                    out.push_str(&medium_html(m, made));
                }
                out.push_str("</div>");
            }
            for note in &card.notes {
                let _ = write!(out, "<p class=note>{}</p>", escape(note));
            }
        }
        None => {
            let _ = write!(
                out,
                "<p class=problem>not sent to {}: see its problems</p>",
                escape(platform.title())
            );
        }
    }
    for p in &e.problems {
        let _ = write!(
            out,
            "<p class=problem>{}:{}: {}[{}]: {}</p>",
            escape(&p.file),
            p.line,
            p.severity,
            p.rule,
            escape(&p.message)
        );
    }
    out.push_str("</div>");
    out
}

/// A medium: its thumbnail (or why there is none) with its alt text as
/// the image's `alt` and `title`, the text shown, and a badge when it
/// has none.
fn medium_html(m: &Medium, made: &Made) -> String {
    let alt = m.alt.as_deref().unwrap_or("");
    let pick = super::pick_item(&m.item);
    let shown = match super::key_of(&pick).and_then(|k| made.get(&k)) {
        Some(Ok(image)) => format!(
            "<div class=frame><img src=\"{}\" alt=\"{}\" title=\"{}\">{}</div>",
            escape(&image.file),
            escape(alt),
            escape(alt),
            super::video::item_corner(&m.item)
        ),
        Some(Err(label)) => format!("<div class=ph>{}</div>", escape(label)),
        None => match pick {
            Pick::Label(why) => format!("<div class=ph>{}</div>", escape(why)),
            _ => "<div class=ph>no preview</div>".to_string(),
        },
    };
    let caption = if m.alt_missing() {
        "<span class=noalt data-noalt>no alt text</span>".to_string()
    } else {
        format!("alt text: {}", escape(alt))
    };
    format!("<figure>{shown}<figcaption>{caption}</figcaption></figure>")
}

/// `text` escaped, line breaks kept, each drawable mark in a `<mark>` of
/// its kind's class.
pub fn text_html(text: &str, marks: &[Mark]) -> String {
    let plain = |s: &str| escape(s).replace('\n', "<br>");
    let mut out = String::with_capacity(text.len() + 32);
    let mut at = 0;
    for m in drawable(text, marks) {
        out.push_str(&plain(&text[at..m.start]));
        let _ = write!(
            out,
            "<mark class={}>{}</mark>",
            m.kind.name(),
            plain(&text[m.start..m.end])
        );
        at = m.end;
    }
    out.push_str(&plain(&text[at..]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::card::MarkKind;

    fn mark(start: usize, end: usize, kind: MarkKind) -> Mark {
        Mark { start, end, kind }
    }

    #[test]
    fn marks_wrap_their_bytes_and_everything_is_escaped() {
        // 🔥 is 4 bytes, 日本 6: the link starts at 5.
        let text = "🔥 https://x.example/日本 <script>alert(1)</script> #tag\nend";
        let link = "https://x.example/日本";
        let tag = text.find("#tag").unwrap();
        let html = text_html(
            text,
            &[
                mark(tag, tag + 4, MarkKind::Tag),
                mark(5, 5 + link.len(), MarkKind::Link),
            ],
        );
        assert_eq!(
            html,
            "🔥 <mark class=link>https://x.example/日本</mark> &lt;script&gt;alert(1)&lt;/script&gt; <mark class=tag>#tag</mark><br>end"
        );
    }

    #[test]
    fn a_mark_inside_markup_like_text_is_escaped_too() {
        let text = "@<b>x";
        let html = text_html(text, &[mark(0, 5, MarkKind::Mention)]);
        assert_eq!(html, "<mark class=mention>@&lt;b&gt;x</mark>");
        // A mark that would cut a character is not drawn; the text is.
        let html = text_html("日本", &[mark(1, 3, MarkKind::Link)]);
        assert_eq!(html, "日本");
    }

    #[test]
    fn a_medium_without_alt_text_gets_a_badge_and_alt_text_is_escaped() {
        use crate::validate::preflight::{Resolved, Source};
        let item = Resolved {
            source: Source::Url("https://cdn.example/a.jpg".into()),
            is_video: false,
        };
        let made = Made::new();
        let bare = medium_html(
            &Medium {
                item: item.clone(),
                alt: Some(String::new()),
            },
            &made,
        );
        assert!(bare.contains("data-noalt>no alt text</span>"), "{bare}");
        assert!(bare.contains("picture at a URL"), "{bare}");
        let said = medium_html(
            &Medium {
                item,
                alt: Some("a \"kiln\" <script>".into()),
            },
            &made,
        );
        assert!(!said.contains("data-noalt"), "{said}");
        assert!(
            said.contains("alt text: a &quot;kiln&quot; &lt;script&gt;"),
            "{said}"
        );
        // A thumbnail made for it: the alt text is its alt and title.
        let file = Resolved {
            source: Source::File {
                path: "media/a.jpg".into(),
                info: crate::media::MediaInfo {
                    bytes: 1,
                    format: crate::media::Format::Unknown,
                    lfs: None,
                },
            },
            is_video: false,
        };
        let mut made = Made::new();
        made.insert(
            ("media/a.jpg".into(), None),
            Ok(super::super::Shown {
                file: "media/abc.jpg".into(),
                width: 3,
                height: 4,
            }),
        );
        let img = medium_html(
            &Medium {
                item: file,
                alt: Some("a <kiln>".into()),
            },
            &made,
        );
        assert!(
            img.contains(
                "<img src=\"media/abc.jpg\" alt=\"a &lt;kiln&gt;\" title=\"a &lt;kiln&gt;\">"
            ),
            "{img}"
        );
    }
}
