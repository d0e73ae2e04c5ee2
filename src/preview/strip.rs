//! What the preview shows beside the tiles: a carousel's slides as a
//! strip under its card, and the legend of the tiles' outlines.

use super::{escape, key_of, pick, pick_item, Inputs, Made, Pick, Tile};
use crate::plan::{Action, Entry};
use crate::validate::preflight::Source;
use std::fmt::Write as _;

/// A carousel's slides after the first (the card's picture), each as a
/// thumbnail shows it.
pub(super) fn slides<'a>(inputs: &Inputs<'a>, e: &Entry) -> Vec<Pick<'a>> {
    match inputs.posts.get(e.id.as_str()) {
        Some(post) if post.kind == crate::content::PostType::Carousel => {
            post.media.iter().skip(1).map(pick_item).collect()
        }
        _ => Vec::new(),
    }
}

/// Every slide of a carousel, in order, as a strip under its card (the
/// first is the card's own picture).
pub(super) fn strip(inputs: &Inputs<'_>, e: &Entry, made: &Made) -> String {
    let Some(post) = inputs.posts.get(e.id.as_str()) else {
        return String::new();
    };
    if post.kind != crate::content::PostType::Carousel {
        return String::new();
    }
    let mut out = format!("<div class=strip data-strip=\"{}\">", escape(&e.id));
    for (i, item) in post.media.iter().enumerate() {
        let pick = if i == 0 { pick(post) } else { pick_item(item) };
        let found = key_of(&pick).and_then(|k| made.get(&k));
        let ph = |label: &str| format!("<div class=ph>{}</div>", escape(label));
        let inner = match (found, pick) {
            (Some(Ok(image)), _) => format!("<img src=\"{}\" alt=\"\">", escape(&image.file)),
            (Some(Err(label)), _) => ph(label),
            (None, Pick::Label(label)) => ph(label),
            (None, _) => ph("no preview"),
        };
        // A video slide plays in the app: its frame with the corner.
        let _ = write!(
            out,
            "<figure data-item=\"{}\"><div class=frame>{inner}{}</div><figcaption>{}/{}</figcaption></figure>",
            escape(&item_name(item)),
            super::video::item_corner(item),
            i + 1,
            post.media.len()
        );
    }
    out.push_str("</div>");
    out
}

/// An item's repo path (a URL as `url`: a query may carry a signature):
/// which slide is which, for people and for tests of the strip's order.
fn item_name(item: &crate::validate::preflight::Resolved) -> String {
    match &item.source {
        Source::File { path, .. } => path.clone(),
        Source::Url(_) => "url".into(),
    }
}

/// What the tiles' outlines mean, for the kinds the grid shows.
pub(super) fn legend(tiles: &[Tile<'_>]) -> String {
    let upcoming = tiles
        .iter()
        .any(|t| t.entry.is_some_and(|e| e.action != Action::Published));
    let pr = tiles
        .iter()
        .any(|t| t.entry.is_some_and(|e| e.pr.is_some()));
    let outside = tiles.iter().any(|t| t.entry.is_none());
    let mut parts = Vec::new();
    if upcoming {
        parts.push("<span class=\"key upcoming\"></span> blue outline: not published yet");
    }
    if pr {
        parts.push(
            "<span class=\"key pr\"></span> orange outline: added or changed by this pull request",
        );
    }
    if outside {
        parts.push(
            "<span class=\"key outside\"></span> live, made outside postwright (as last read)",
        );
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("<p class=legend data-legend>{}</p>", parts.join(" · "))
}
