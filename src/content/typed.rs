//! The typed fast path: a post's YAML read straight into [`PostFields`]
//! from saphyr's events, with the same positions the generic path records,
//! but no `serde_json::Value`, no schema run and no serde pass.
//!
//! It is tried first and accepts only what it checks completely: the base
//! fields of the post schema (`schema/post.schema.json`), each of its
//! type and with its constraints (patterns, lengths, minimums, enums).
//! On anything else — an unknown key, a platform's map, a wrong type, an
//! empty value, an anchor, an alias, a tag, a duplicate key, a YAML error
//! — it gives up and the generic path ([`super::yaml::parse`], the JSON
//! Schema, serde) reads the file again and says what is wrong, as before.
//! So it only has to be sound: what it accepts, the schema accepts, and
//! its fields and positions are the generic path's (the property test
//! `typed_props` checks both on generated posts and the corpus).

use super::post::{
    Graduation, IdValue, MediaEntry, PostFields, PostType, ProductTag, Trial, UserTag,
};
use super::yaml::{quick, scalar_value, Loc, Ptr, Spans, MAX_NODES};
use crate::diagnostic::Pos;
use saphyr_parser::{Event, Parser, ScanError, Span};
use serde_json::Value;
use std::collections::BTreeMap;

/// Reads `text` (a post's YAML; `line_offset` lines above it in its file)
/// into its fields and positions, or None when the generic path must.
///
/// The events come from [`quick::events`] when the text is in its subset
/// (almost every post), from saphyr's parser otherwise.
pub(crate) fn parse(text: &str, line_offset: usize) -> Option<(PostFields, Spans)> {
    let (fields, mut spans) = match quick::events(text) {
        Some(events) => read(events.into_iter().map(Ok))?,
        None => read(Parser::new_from_str(text))?,
    };
    spans.finish();
    spans.offset_lines(line_offset);
    Some((fields, spans))
}

fn read<'a, E: EventSource<'a>>(events: E) -> Option<(PostFields, Spans)> {
    let mut reader = Reader {
        events,
        spans: Spans::with_capacity(24),
        nodes: 0,
    };
    let fields = reader.document()?;
    Some((fields, reader.spans))
}

/// Where a [`Reader`] takes its events from.
trait EventSource<'a>: Iterator<Item = Result<(Event<'a>, Span), ScanError>> {}

impl<'a, I: Iterator<Item = Result<(Event<'a>, Span), ScanError>>> EventSource<'a> for I {}

fn pos(span: &Span) -> Pos {
    Pos::new(span.start.line(), span.start.col() + 1)
}

fn end(span: &Span) -> Pos {
    Pos::new(span.end.line(), span.end.col() + 1)
}

/// One node's place: its pointer and the key it hangs off (map values).
#[derive(Clone, Copy)]
struct At {
    ptr: Ptr,
    key: Option<Pos>,
}

impl At {
    fn item(ptr: Ptr) -> At {
        At { ptr, key: None }
    }
}

/// What a node starts with.
enum Node {
    Scalar(Value),
    Seq(Span),
    Map(Span),
    /// The end of the sequence the node was looked for in.
    End(Span),
}

struct Reader<E> {
    events: E,
    spans: Spans,
    nodes: usize,
}

/// Root fields, in the order of [`Reader::root_entry`]; one bit each in a
/// mask to catch a key given twice.
const ROOT_KEYS: [&str; 25] = [
    "id",
    "account",
    "accounts",
    "type",
    "media",
    "caption",
    "publish_at",
    "draft",
    "location_id",
    "user_tags",
    "alt_text",
    "collaborators",
    "first_comment",
    "comments",
    "cover",
    "thumb_offset",
    "share_to_feed",
    "audio_name",
    "trial",
    "product_tags",
    "paid_partnership",
    "sponsor_ids",
    "ai_generated",
    "allow_duplicate",
    "publish_overdue",
];

const MEDIA_ITEM_KEYS: [&str; 4] = ["src", "alt_text", "user_tags", "product_tags"];
const TAG_KEYS: [&str; 3] = ["username", "x", "y"];
const PRODUCT_KEYS: [&str; 3] = ["product_id", "x", "y"];

impl<'a, E: EventSource<'a>> Reader<E> {
    /// The next event; None on a YAML error (the generic path reports it).
    fn next(&mut self) -> Option<(Event<'a>, Span)> {
        loop {
            match self.events.next()? {
                Ok((Event::Nothing, _)) => continue,
                Ok(e) => return Some(e),
                Err(_) => return None,
            }
        }
    }

    /// Counts a node as the generic path does, giving up past its limit.
    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(())
    }

    fn document(&mut self) -> Option<PostFields> {
        matches!(self.next()?.0, Event::StreamStart).then_some(())?;
        matches!(self.next()?.0, Event::DocumentStart(_)).then_some(())?;
        let root = At::item(Ptr::ROOT);
        let Node::Map(open) = self.node(root)? else {
            return None;
        };
        let fields = self.root(&open)?;
        matches!(self.next()?.0, Event::DocumentEnd).then_some(())?;
        matches!(self.next()?.0, Event::StreamEnd).then_some(())?;
        // Nothing may follow: the generic path would read it.
        self.events.next().is_none().then_some(fields)
    }

    /// Reads the start of the node at `at` and records its position as the
    /// generic path does: a scalar with its value and its end, a
    /// collection with its start (its end, when flow, at its close).
    fn node(&mut self, at: At) -> Option<Node> {
        let (event, span) = self.next()?;
        if matches!(event, Event::SequenceEnd) {
            return Some(Node::End(span));
        }
        self.count()?;
        let loc = Loc {
            key: at.key,
            value: pos(&span),
        };
        match event {
            Event::Scalar(text, style, 0, None) => {
                let value = scalar_value(text, style);
                if value.is_null() {
                    // An empty value: the schema's complaint, maybe a hint.
                    return None;
                }
                self.spans.record(at.ptr, loc);
                self.spans.record_end(pos(&span), end(&span));
                Some(Node::Scalar(value))
            }
            Event::SequenceStart(0, None) => {
                self.spans.record(at.ptr, loc);
                Some(Node::Seq(span))
            }
            Event::MappingStart(0, None) => {
                self.spans.record(at.ptr, loc);
                Some(Node::Map(span))
            }
            _ => None,
        }
    }

    /// A collection closed at `close`: a flow one's end is recorded.
    fn closed(&mut self, open: &Span, close: &Span) {
        if open.end.index() > open.start.index() {
            self.spans.record_end(pos(open), end(close));
        }
    }

    /// A mapping's entries: `entry` reads each value (by its key's index
    /// in `names`); a key not in `names`, or given twice, gives up.
    fn entries(
        &mut self,
        open: &Span,
        at: Ptr,
        names: &[&str],
        mut entry: impl FnMut(&mut Self, usize, At) -> Option<()>,
    ) -> Option<()> {
        let mut seen = 0u32;
        loop {
            let (event, span) = self.next()?;
            let key = match event {
                Event::MappingEnd => {
                    self.closed(open, &span);
                    return Some(());
                }
                Event::Scalar(text, _, 0, None) => text,
                _ => return None,
            };
            self.count()?;
            let here = pos(&span);
            self.spans.record_end(here, end(&span));
            let i = names.iter().position(|n| *n == key)?;
            if seen & (1 << i) != 0 {
                return None;
            }
            seen |= 1 << i;
            let ptr = self.spans.child_key(at, &key);
            entry(
                self,
                i,
                At {
                    ptr,
                    key: Some(here),
                },
            )?;
        }
    }

    /// A sequence at `at`: each item's node handed to `item`; how many.
    fn items(
        &mut self,
        at: At,
        mut item: impl FnMut(&mut Self, Node, Ptr) -> Option<()>,
    ) -> Option<usize> {
        let Node::Seq(open) = self.node(at)? else {
            return None;
        };
        let mut n = 0;
        loop {
            let ptr = self.spans.child_index(at.ptr, n);
            match self.node(At::item(ptr))? {
                Node::End(close) => {
                    self.closed(&open, &close);
                    return Some(n);
                }
                node => item(self, node, ptr)?,
            }
            n += 1;
        }
    }

    /// A mapping at `at` (already started: `node`), read by `entries`.
    fn map(
        &mut self,
        node: Node,
        at: Ptr,
        names: &[&str],
        entry: impl FnMut(&mut Self, usize, At) -> Option<()>,
    ) -> Option<()> {
        let Node::Map(open) = node else {
            return None;
        };
        self.entries(&open, at, names, entry)
    }

    fn scalar(&mut self, at: At) -> Option<Value> {
        match self.node(at)? {
            Node::Scalar(v) => Some(v),
            _ => None,
        }
    }

    fn text(&mut self, at: At) -> Option<String> {
        text(self.scalar(at)?)
    }

    /// Text of at least one character (`minLength: 1`).
    fn filled(&mut self, at: At) -> Option<String> {
        self.text(at).filter(|s| !s.is_empty())
    }

    fn boolean(&mut self, at: At) -> Option<bool> {
        self.scalar(at)?.as_bool()
    }

    /// A whole number of at least 0 (`type: integer, minimum: 0`).
    fn whole(&mut self, at: At) -> Option<u64> {
        self.scalar(at)?.as_u64()
    }

    fn root(&mut self, open: &Span) -> Option<PostFields> {
        let mut f = PostFields {
            id: None,
            account: None,
            accounts: None,
            kind: None,
            media: Vec::new(),
            caption: None,
            publish_at: None,
            draft: false,
            location_id: None,
            user_tags: None,
            alt_text: None,
            collaborators: None,
            first_comment: None,
            comments: None,
            cover: None,
            thumb_offset: None,
            share_to_feed: None,
            audio_name: None,
            trial: None,
            product_tags: None,
            paid_partnership: None,
            sponsor_ids: None,
            ai_generated: None,
            allow_duplicate: false,
            publish_overdue: false,
            overrides: BTreeMap::new(),
        };
        self.entries(open, Ptr::ROOT, &ROOT_KEYS, |r, i, at| {
            r.root_entry(&mut f, i, at)
        })?;
        Some(f)
    }

    /// The value of root key `ROOT_KEYS[i]`, checked as the schema does.
    fn root_entry(&mut self, f: &mut PostFields, i: usize, at: At) -> Option<()> {
        match i {
            0 => f.id = Some(self.text(at).filter(|s| valid_id(s))?),
            1 => f.account = Some(self.filled(at)?),
            2 => f.accounts = Some(self.texts(at, 1)?),
            3 => f.kind = Some(post_type(&self.text(at)?)?),
            4 => f.media = self.media(at)?,
            5 => f.caption = Some(self.text(at)?),
            6 => f.publish_at = Some(self.text(at)?),
            7 => f.draft = self.boolean(at)?,
            8 => f.location_id = Some(id_value(self.scalar(at)?)?),
            9 => f.user_tags = Some(self.user_tags(at)?),
            10 => f.alt_text = Some(self.text(at)?),
            11 => f.collaborators = Some(self.texts(at, 0)?),
            12 => f.first_comment = Some(self.filled(at)?),
            13 => f.comments = Some(self.boolean(at)?),
            14 => f.cover = Some(self.filled(at)?),
            15 => f.thumb_offset = Some(self.whole(at)?),
            16 => f.share_to_feed = Some(self.boolean(at)?),
            17 => f.audio_name = Some(self.filled(at)?),
            18 => f.trial = Some(self.trial(at)?),
            19 => f.product_tags = Some(self.product_tags(at)?),
            20 => f.paid_partnership = Some(self.boolean(at)?),
            21 => f.sponsor_ids = Some(self.ids(at)?),
            22 => f.ai_generated = Some(self.boolean(at)?),
            23 => f.allow_duplicate = self.boolean(at)?,
            24 => f.publish_overdue = self.boolean(at)?,
            _ => return None,
        }
        Some(())
    }

    /// A list of text items of at least one character, `min` items at least.
    fn texts(&mut self, at: At, min: usize) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let n = self.items(at, |_, node, _| {
            out.push(filled(node)?);
            Some(())
        })?;
        (n >= min).then_some(out)
    }

    fn ids(&mut self, at: At) -> Option<Vec<IdValue>> {
        let mut out = Vec::new();
        self.items(at, |_, node, _| match node {
            Node::Scalar(v) => {
                out.push(id_value(v)?);
                Some(())
            }
            _ => None,
        })?;
        Some(out)
    }

    /// `media`: at least one item, each a path or a mapping with `src`.
    fn media(&mut self, at: At) -> Option<Vec<MediaEntry>> {
        let mut out = Vec::new();
        let n = self.items(at, |r, node, ptr| {
            out.push(match node {
                Node::Scalar(_) => MediaEntry::Src(filled(node)?),
                node => r.media_item(node, ptr)?,
            });
            Some(())
        })?;
        (n >= 1).then_some(out)
    }

    fn media_item(&mut self, node: Node, at: Ptr) -> Option<MediaEntry> {
        let (mut src, mut alt_text, mut user_tags, mut product_tags) = (None, None, None, None);
        self.map(node, at, &MEDIA_ITEM_KEYS, |r, i, at| {
            match i {
                0 => src = Some(r.filled(at)?),
                1 => alt_text = Some(r.text(at)?),
                2 => user_tags = Some(r.user_tags(at)?),
                _ => product_tags = Some(r.product_tags(at)?),
            }
            Some(())
        })?;
        Some(MediaEntry::Item {
            src: src?,
            alt_text,
            user_tags,
            product_tags,
        })
    }

    fn user_tags(&mut self, at: At) -> Option<Vec<UserTag>> {
        let mut out = Vec::new();
        self.items(at, |r, node, ptr| {
            let (mut username, mut x, mut y) = (None, None, None);
            r.map(node, ptr, &TAG_KEYS, |r, i, at| {
                match i {
                    0 => username = Some(r.filled(at)?),
                    1 => x = Some(r.scalar(at)?.as_f64()?),
                    _ => y = Some(r.scalar(at)?.as_f64()?),
                }
                Some(())
            })?;
            out.push(UserTag {
                username: username?,
                x,
                y,
            });
            Some(())
        })?;
        Some(out)
    }

    fn product_tags(&mut self, at: At) -> Option<Vec<ProductTag>> {
        let mut out = Vec::new();
        self.items(at, |r, node, ptr| {
            let (mut product_id, mut x, mut y) = (None, None, None);
            r.map(node, ptr, &PRODUCT_KEYS, |r, i, at| {
                match i {
                    0 => product_id = Some(id_value(r.scalar(at)?)?),
                    1 => x = Some(r.scalar(at)?.as_f64()?),
                    _ => y = Some(r.scalar(at)?.as_f64()?),
                }
                Some(())
            })?;
            out.push(ProductTag {
                product_id: product_id?,
                x,
                y,
            });
            Some(())
        })?;
        Some(out)
    }

    fn trial(&mut self, at: At) -> Option<Trial> {
        let node = self.node(at)?;
        let mut graduation = None;
        self.map(node, at.ptr, &["graduation"], |r, _, at| {
            graduation = Some(match r.text(at)?.as_str() {
                "manual" => Graduation::Manual,
                "performance" => Graduation::Performance,
                _ => return None,
            });
            Some(())
        })?;
        Some(Trial {
            graduation: graduation?,
        })
    }
}

fn text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A scalar node's text of at least one character.
fn filled(node: Node) -> Option<String> {
    match node {
        Node::Scalar(v) => text(v).filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// `^[A-Za-z0-9_][A-Za-z0-9._/-]*$`, at most 200 characters.
fn valid_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() <= 200
        && b.first()
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-'))
}

/// An id written as digits or as a whole number of at least 0.
fn id_value(value: Value) -> Option<IdValue> {
    match value {
        Value::String(s) if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) => {
            Some(IdValue::Text(s))
        }
        Value::Number(n) => n.as_u64().map(IdValue::Number),
        _ => None,
    }
}

fn post_type(s: &str) -> Option<PostType> {
    Some(match s {
        "image" => PostType::Image,
        "carousel" => PostType::Carousel,
        "reel" => PostType::Reel,
        "story" => PostType::Story,
        "text" => PostType::Text,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    /// The fast path reads the base schema's fields and no others (an
    /// unknown key sends a post to the generic path, so a field added to
    /// the schema and not here would only be slow; one here and not in
    /// the schema would be accepted without the schema's check).
    #[test]
    fn the_root_keys_are_the_base_schemas_properties() {
        let base: serde_json::Value =
            serde_json::from_str(crate::validate::compose::POST_BASE).unwrap();
        let mut schema: Vec<&str> = base["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        schema.sort_unstable();
        let mut ours = super::ROOT_KEYS.to_vec();
        ours.sort_unstable();
        assert_eq!(ours, schema);
    }
}
