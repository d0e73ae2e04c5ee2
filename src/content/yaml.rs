//! YAML to JSON with a position for every key and value.
//!
//! We build our own tree from saphyr's event stream rather than use a loader
//! because we need three things loaders don't give together: the position of
//! every key (so `unknown-field` points at the typo), duplicate-key detection
//! (YAML forbids them, most loaders keep the last silently), and hard limits
//! on nesting and alias expansion (a hostile post must fail fast, not eat
//! memory). Scalars resolve by the YAML 1.2 core schema: `no` stays a string.

use crate::diagnostic::Pos;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use scalar::resolve_plain;
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(crate) mod quick;
mod scalar;
mod spans;

pub(crate) use spans::Ptr;
pub use spans::{Loc, Spans};

/// Deepest nesting accepted; real posts use 4 levels.
pub const MAX_DEPTH: usize = 32;
/// Most nodes accepted, alias expansions included; real posts have < 200.
pub const MAX_NODES: usize = 20_000;
/// Most scalar bytes (keys and values) that aliases may produce, all alias
/// uses of a document together. A node count alone does not bound memory:
/// one 900 KB scalar aliased 20,000 times is 20,000 values but 18 GB.
///
/// Why 4 MiB: a post file is at most 1 MiB (`MAX_POST_BYTES`), so the text
/// a post writes out itself is at most 1 MiB; aliases in real posts repeat a
/// hashtag block or an alt text, a few KB. Four times the largest possible
/// file is far beyond any real post, yet keeps the expanded document (and
/// the copies validation makes of it) to tens of MB at worst.
pub const MAX_ALIAS_BYTES: usize = 4 * 1024 * 1024;

/// A scalar's value as the generic path reads it when it has no tag: a
/// plain one by the YAML 1.2 core schema, a quoted or block one as text.
pub(crate) fn scalar_value(text: std::borrow::Cow<'_, str>, style: ScalarStyle) -> Value {
    if style == ScalarStyle::Plain {
        resolve_plain(text)
    } else {
        Value::String(text.into_owned())
    }
}

/// Appends one JSON pointer segment, escaped per RFC 6901.
pub fn pointer_join(base: &str, segment: &str) -> String {
    let mut s = String::with_capacity(base.len() + segment.len() + 1);
    s.push_str(base);
    s.push('/');
    for c in segment.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
    s
}

/// Why a YAML text could not be turned into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub kind: YamlErrorKind,
    pub pos: Pos,
    /// Just past the offending text, when it is more than one character.
    pub end: Option<Pos>,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// Not well-formed YAML, or a construct a post cannot use.
    Syntax,
    /// Beyond the nesting or node limits.
    TooLarge,
}

/// A parsed document: its JSON value and where each part came from.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    pub spans: Spans,
}

/// Parses one YAML document; `line_offset` is added to every reported line
/// (the number of lines before this text in its file).
pub fn parse(text: &str, line_offset: usize) -> Result<Document, YamlError> {
    let mut builder = Builder {
        line_offset,
        spans: Spans::with_capacity(24),
        ..Builder::default()
    };
    let result = builder.run(text);
    let shift = |mut e: YamlError| {
        super::yaml_hints::explain(text, &mut e);
        e.pos.line += line_offset;
        if let Some(end) = &mut e.end {
            end.line += line_offset;
        }
        e
    };
    let value = result.map_err(shift)?;
    let mut spans = builder.spans;
    spans.finish();
    spans.offset_lines(line_offset);
    Ok(Document { value, spans })
}

fn pos(span: &Span) -> Pos {
    Pos::new(span.start.line(), span.start.col() + 1)
}

/// Just past the last character of `span`.
fn end(span: &Span) -> Pos {
    Pos::new(span.end.line(), span.end.col() + 1)
}

/// A node under construction.
enum Frame {
    Seq {
        items: Vec<Value>,
        pointer: Ptr,
        anchor: usize,
        size: usize,
        /// Scalar bytes inside, keys included (for alias expansion).
        bytes: usize,
    },
    Map {
        map: Map<String, Value>,
        pointer: Ptr,
        anchor: usize,
        size: usize,
        /// Scalar bytes inside, keys included (for alias expansion).
        bytes: usize,
        /// The key read, waiting for its value.
        pending_key: Option<(String, Pos)>,
    },
}

/// An anchored value with what one alias to it adds: nodes and scalar bytes.
struct Anchored {
    value: Value,
    nodes: usize,
    bytes: usize,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    spans: Spans,
    /// Anchored values, for alias expansion.
    anchors: HashMap<usize, Anchored>,
    nodes: usize,
    /// Scalar bytes produced by alias expansion so far.
    alias_bytes: usize,
    root: Option<Value>,
    documents: usize,
    /// Lines before the YAML in its file, for line numbers inside messages.
    line_offset: usize,
    /// For each open collection, its start when it is a flow one.
    flow_starts: Vec<Option<Pos>>,
    /// Empty values looked at so far (each reads its line: bounded).
    empties_seen: usize,
}

impl Builder {
    fn run(&mut self, text: &str) -> Result<Value, YamlError> {
        for item in Parser::new_from_str(text) {
            let (event, span) = item.map_err(|e| YamlError {
                // The scanner has its own nesting limit; it is our limit too.
                kind: if e.info().contains("recursion limit") {
                    YamlErrorKind::TooLarge
                } else {
                    YamlErrorKind::Syntax
                },
                pos: Pos::new(e.marker().line(), e.marker().col() + 1),
                end: None,
                message: e.info().to_string(),
                help: None,
            })?;
            self.event(event, &span, text)?;
        }
        Ok(self.root.take().unwrap_or(Value::Null))
    }

    fn error(kind: YamlErrorKind, span: &Span, message: impl Into<String>) -> YamlError {
        YamlError {
            kind,
            pos: pos(span),
            end: None,
            message: message.into(),
            help: None,
        }
    }

    /// The pointer the next value will have, and the key position it hangs off.
    fn next_pointer(&mut self) -> (Ptr, Option<Pos>) {
        match self.stack.last() {
            None => (Ptr::ROOT, None),
            Some(Frame::Seq { items, pointer, .. }) => {
                (self.spans.child_index(*pointer, items.len()), None)
            }
            Some(Frame::Map {
                pointer,
                pending_key,
                ..
            }) => match pending_key {
                Some((k, p)) => (self.spans.child_key(*pointer, k), Some(*p)),
                // A key being read: its pointer is never looked up.
                None => (*pointer, None),
            },
        }
    }

    fn count(&mut self, n: usize, span: &Span) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(Self::error(
                YamlErrorKind::TooLarge,
                span,
                format!("more than {MAX_NODES} values (aliases expanding into each other?)"),
            ));
        }
        Ok(())
    }

    /// Counts the scalar bytes an alias is about to produce, before they are
    /// copied: past `MAX_ALIAS_BYTES` it is an error naming the alias.
    fn count_alias_bytes(
        &mut self,
        bytes: usize,
        span: &Span,
        text: &str,
    ) -> Result<(), YamlError> {
        let total = self.alias_bytes.saturating_add(bytes);
        if total > MAX_ALIAS_BYTES {
            let at = pos(span);
            return Err(Self::error(
                YamlErrorKind::TooLarge,
                span,
                format!(
                    "the alias `*{}` at line {}, column {} repeats {bytes} bytes, taking the text \
                     produced by aliases past {} MiB; write large values out once instead of \
                     repeating them through aliases",
                    alias_name(text, span),
                    at.line + self.line_offset,
                    at.column,
                    MAX_ALIAS_BYTES / (1024 * 1024),
                ),
            ));
        }
        self.alias_bytes = total;
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: &Span, source: &str) -> Result<(), YamlError> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Self::error(
                        YamlErrorKind::Syntax,
                        span,
                        "a post holds one YAML document, but a second one starts here",
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, span)?;
                let is_key = matches!(
                    self.stack.last(),
                    Some(Frame::Map {
                        pending_key: None,
                        ..
                    })
                );
                if is_key {
                    if anchor != 0 {
                        self.anchors.insert(
                            anchor,
                            Anchored {
                                value: Value::String(text.to_string()),
                                nodes: 1,
                                bytes: text.len(),
                            },
                        );
                    }
                    return self.key(text.into_owned(), span);
                }
                let bytes = text.len();
                let forced_string = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
                let value = if forced_string {
                    Value::String(text.into_owned())
                } else {
                    scalar_value(text, style)
                };
                if style == ScalarStyle::Plain && bytes == 0 {
                    self.note_empty(span, source);
                }
                if anchor != 0 {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: value.clone(),
                            nodes: 1,
                            bytes,
                        },
                    );
                }
                let (pointer, key) = self.next_pointer();
                self.spans.record(
                    pointer,
                    Loc {
                        key,
                        value: pos(span),
                    },
                );
                self.spans.record_end(pos(span), end(span));
                self.push_value(value, 1, bytes);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.count(1, span)?;
                if matches!(
                    self.stack.last(),
                    Some(Frame::Map {
                        pending_key: None,
                        ..
                    })
                ) {
                    return Err(Self::error(
                        YamlErrorKind::Syntax,
                        span,
                        "a key must be plain text, not a list or a mapping",
                    ));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(Self::error(
                        YamlErrorKind::TooLarge,
                        span,
                        format!("nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let (pointer, key) = self.next_pointer();
                self.spans.record(
                    pointer,
                    Loc {
                        key,
                        value: pos(span),
                    },
                );
                // A flow collection's start token is its `[` or `{`; a block
                // one's is empty. Only flow ones get an end (on `]`, `}`).
                let flow = span.end.index() > span.start.index();
                self.flow_starts.push(flow.then(|| pos(span)));
                self.stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq {
                            items: Vec::new(),
                            pointer,
                            anchor,
                            size: 1,
                            bytes: 0,
                        }
                    } else {
                        Frame::Map {
                            map: Map::new(),
                            pointer,
                            anchor,
                            size: 1,
                            bytes: 0,
                            pending_key: None,
                        }
                    });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(Some(start)) = self.flow_starts.pop() {
                    self.spans.record_end(start, end(span));
                }
                let (value, anchor, size, bytes) = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        anchor,
                        size,
                        bytes,
                        ..
                    }) => (Value::Array(items), anchor, size, bytes),
                    Some(Frame::Map {
                        map,
                        anchor,
                        size,
                        bytes,
                        ..
                    }) => (Value::Object(map), anchor, size, bytes),
                    None => return Ok(()),
                };
                if anchor != 0 {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: value.clone(),
                            nodes: size,
                            bytes,
                        },
                    );
                }
                self.push_value(value, size, bytes);
            }
            Event::Alias(id) => {
                let Some(&Anchored {
                    nodes: size, bytes, ..
                }) = self.anchors.get(&id)
                else {
                    return Err(Self::error(
                        YamlErrorKind::Syntax,
                        span,
                        "alias to an unknown anchor",
                    ));
                };
                // Both limits are checked before the value is copied.
                self.count(size, span)?;
                self.count_alias_bytes(bytes, span, source)?;
                let value = self.anchors[&id].value.clone();
                if let Some(Frame::Map {
                    pending_key: None, ..
                }) = self.stack.last()
                {
                    return match value {
                        Value::String(s) => self.key(s, span),
                        _ => Err(Self::error(
                            YamlErrorKind::Syntax,
                            span,
                            "a key must be plain text, not a list or a mapping",
                        )),
                    };
                }
                let (pointer, key) = self.next_pointer();
                self.spans.record(
                    pointer,
                    Loc {
                        key,
                        value: pos(span),
                    },
                );
                self.spans.record_end(pos(span), end(span));
                self.push_value(value, size, bytes);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// Records why the empty map value at `span` is empty, when its line
    /// says the author meant a value (`key: #tags`, `key: &text`).
    fn note_empty(&mut self, span: &Span, source: &str) {
        // Real posts have a handful of empty values; a hostile one may have
        // thousands, and each look reads a line.
        const MOST: usize = 64;
        let Some(Frame::Map {
            pending_key: Some((key, at)),
            ..
        }) = self.stack.last()
        else {
            return;
        };
        if self.empties_seen >= MOST {
            return;
        }
        self.empties_seen += 1;
        let found = self
            .spans
            .end_of(*at)
            .and_then(|key_end| super::yaml_hints::empty_value(source, key, key_end));
        if let Some(v) = found {
            self.spans.empties.insert(pos(span), v);
        }
    }

    fn key(&mut self, key: String, span: &Span) -> Result<(), YamlError> {
        let line_offset = self.line_offset;
        if let Some(Frame::Map {
            map,
            pointer,
            pending_key,
            bytes,
            ..
        }) = self.stack.last_mut()
        {
            *bytes = bytes.saturating_add(key.len());
            let here = pos(span);
            // A key in the map was read before, its value too: the spans
            // have where (no set of keys per mapping to keep beside them).
            if map.contains_key(&key) {
                let first = self
                    .spans
                    .get(&pointer_join(self.spans.pointer(*pointer), &key))
                    .and_then(|loc| loc.key)
                    .unwrap_or(here);
                return Err(YamlError {
                    kind: YamlErrorKind::Syntax,
                    pos: here,
                    end: Some(end(span)),
                    message: format!(
                        "duplicate key `{key}` (first given on line {}); keep one",
                        first.line + line_offset
                    ),
                    help: None,
                });
            }
            self.spans.record_end(here, end(span));
            *pending_key = Some((key, here));
        }
        Ok(())
    }

    /// Adds a finished value, `size` nodes holding `bytes` scalar bytes, to its parent.
    fn push_value(&mut self, value: Value, size: usize, bytes: usize) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq {
                items,
                size: total,
                bytes: total_bytes,
                ..
            }) => {
                items.push(value);
                *total = total.saturating_add(size);
                *total_bytes = total_bytes.saturating_add(bytes);
            }
            Some(Frame::Map {
                map,
                pending_key,
                size: total,
                bytes: total_bytes,
                ..
            }) => {
                if let Some((k, _)) = pending_key.take() {
                    map.insert(k, value);
                    *total = total.saturating_add(size);
                    *total_bytes = total_bytes.saturating_add(bytes);
                }
            }
        }
    }
}

/// The name of the alias whose `*` is at the start of `span`, for messages;
/// only called on the error path (it walks the text from the start).
fn alias_name(text: &str, span: &Span) -> String {
    text.chars()
        .skip(span.start.index())
        .skip_while(|&c| c == '*')
        .take_while(|&c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spans_point_at_keys_and_values() {
        let doc = parse(
            "caption: hi\nmedia:\n  - a.jpg\n  - src: b.jpg\n    alt_text: x\n",
            1,
        )
        .unwrap();
        assert_eq!(doc.spans.key("/caption"), Pos::new(2, 1));
        assert_eq!(doc.spans.value("/caption"), Pos::new(2, 10));
        assert_eq!(doc.spans.value("/media/0"), Pos::new(4, 5));
        assert_eq!(doc.spans.key("/media/1/alt_text"), Pos::new(6, 5));
        // Unknown pointers fall back to the nearest ancestor.
        assert_eq!(doc.spans.value("/media/1/nope"), Pos::new(5, 5));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("a: 1\nb: 2\na: 3\n", 0).unwrap_err();
        assert_eq!(err.pos, Pos::new(3, 1));
        assert!(
            err.message.contains("first given on line 1"),
            "{}",
            err.message
        );
    }

    #[test]
    fn alias_bomb_is_rejected() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let err = parse(&text, 0).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::TooLarge);
    }

    /// `key: [*name, *name, …]` with `n` aliases, each 4 + name bytes wide.
    fn alias_list(key: &str, name: &str, n: usize) -> String {
        format!("{key}: [{}]\n", vec![format!("*{name}"); n].join(", "))
    }

    #[test]
    fn alias_bomb_by_bytes_names_the_alias() {
        // 100 KB anchored once, aliased 200 times: 200 values, 20 MB.
        let big = "c".repeat(100_000);
        let text = format!(
            "media: [a.jpg]\nbig: &big \"{big}\"\n{}",
            alias_list("l", "big", 200)
        );
        let err = parse(&text, 3).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::TooLarge);
        // The first alias over the limit: 41 fit in 4 MiB, the 42nd does not.
        let n = MAX_ALIAS_BYTES / big.len() + 1;
        let column = "l: [".len() + 1 + (n - 1) * "*big, ".len();
        assert_eq!(err.pos, Pos::new(3 + 3, column));
        let want = format!("the alias `*big` at line 6, column {column} repeats 100000 bytes");
        assert!(err.message.starts_with(&want), "{}", err.message);
        assert!(err.message.contains("4 MiB"), "{}", err.message);
        assert!(
            err.message.contains("write large values out once"),
            "{}",
            err.message
        );
    }

    #[test]
    fn alias_bytes_count_nested_and_key_aliases() {
        // A mapping anchored with keys and values of about 1 KB, aliased twice
        // in a list that is itself aliased: keys count, and nested aliases too.
        let kb = "k".repeat(1024);
        let mut text = format!("m: &m {{{kb}a: {kb}, {kb}b: {kb}}}\nl: &l [*m, *m]\n");
        let per_l = 2 * (2 * 1025 + 2 * 1024);
        let fits = MAX_ALIAS_BYTES / per_l;
        // `*m` twice (one `*l`'s worth), then `fits - 1` times `*l`: at most the limit.
        text.push_str(&alias_list("ok", "l", fits - 1));
        let doc = parse(&text, 0).unwrap();
        assert_eq!(doc.value["ok"].as_array().unwrap().len(), fits - 1);
        // One more `*l` passes it.
        text.push_str("over: *l\n");
        let err = parse(&text, 0).unwrap_err();
        assert!(
            err.message
                .starts_with("the alias `*l` at line 4, column 7"),
            "{}",
            err.message
        );
        // An alias used as a key counts too.
        // 1 MB each: the fifth passes 4 MiB.
        let maps: String = (0..5).map(|i| format!("m{i}: {{*k : 1}}\n")).collect();
        let text = format!("k: &k {}\n{maps}", "x".repeat(1_000_000));
        let err = parse(&text, 0).unwrap_err();
        assert!(
            err.message
                .starts_with("the alias `*k` at line 6, column 6"),
            "{}",
            err.message
        );
    }

    #[test]
    fn alias_bomb_by_count_is_still_the_count_error() {
        // 30,000 aliases of one byte each: 30 KB, far under the byte limit.
        let text = format!("s: &s x\n{}", alias_list("l", "s", 30_000));
        let err = parse(&text, 0).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::TooLarge);
        assert!(
            err.message
                .starts_with(&format!("more than {MAX_NODES} values")),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_post_with_a_few_aliases_parses() {
        let text = "\
tags: &tags \"#bread #bakery #sourdough\"
alt: &alt A loaf on a board
media:
  - {src: a.jpg, alt_text: *alt}
  - {src: b.jpg, alt_text: *alt}
caption: *tags
first_comment: *tags
";
        let doc = parse(text, 0).unwrap();
        assert_eq!(doc.value["media"][1]["alt_text"], "A loaf on a board");
        assert_eq!(doc.value["first_comment"], "#bread #bakery #sourdough");
        assert_eq!(doc.spans.value("/caption"), Pos::new(6, 10));
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let text = "[".repeat(10_000);
        let err = parse(&text, 0).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::TooLarge);
        let text = format!("{}1{}", "[".repeat(20), "]".repeat(20));
        assert!(parse(&text, 0).is_ok());
    }

    #[test]
    fn aliases_expand_within_limits() {
        let doc = parse("a: &x {k: 1}\nb: *x\n", 0).unwrap();
        assert_eq!(doc.value, json!({"a":{"k":1},"b":{"k":1}}));
    }

    #[test]
    fn second_document_is_an_error() {
        let err = parse("a: 1\n---\nb: 2\n", 0).unwrap_err();
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse("a: [1, 2\nb: 3\n", 4).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Syntax);
        assert!(err.pos.line >= 5, "{err:?}");
    }

    #[test]
    fn pointer_escaping() {
        assert_eq!(pointer_join("/a", "b/c~d"), "/a/b~1c~0d");
    }
}
