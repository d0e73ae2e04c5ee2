//! Where each part of a parsed document came from: for every JSON pointer
//! the key and value positions, for every key and scalar where it ends.

use crate::content::yaml_hints::EmptyValue;
use crate::diagnostic::Pos;
use std::collections::HashMap;

/// Where a value sits in the source: the key that introduced it (for map
/// values) and the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub key: Option<Pos>,
    pub value: Pos,
}

/// JSON pointer (RFC 6901) → location, for every node of a document.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    pub(super) map: HashMap<String, Loc>,
    /// Start → just past the end, for every key and scalar value and every
    /// flow (`[…]`, `{…}`) collection: how far a caret line reaches.
    pub(super) ends: HashMap<Pos, Pos>,
    /// Lines to add to what `ends` holds (front matter starts below the
    /// `---`): added on reading rather than re-keying every entry.
    ends_shift: usize,
    /// Empty values that look meant (`key: #tags`), by the value's position.
    pub(super) empties: HashMap<Pos, EmptyValue>,
}

impl Spans {
    /// Room for `nodes` keys and values without growing (a post has a
    /// dozen or two; each growth re-hashes every entry).
    pub(super) fn with_capacity(nodes: usize) -> Spans {
        Spans {
            map: HashMap::with_capacity(nodes),
            ends: HashMap::with_capacity(nodes),
            ..Spans::default()
        }
    }

    /// The location of the value at `pointer`, or of its nearest ancestor.
    pub fn value(&self, pointer: &str) -> Pos {
        self.lookup(pointer).value
    }

    /// The key of `pointer` when it has one (map entries), else its value.
    pub fn key(&self, pointer: &str) -> Pos {
        let loc = self.lookup(pointer);
        loc.key.unwrap_or(loc.value)
    }

    /// Records a value that did not come from the YAML (a Markdown body caption).
    pub fn insert(&mut self, pointer: &str, value: Pos) {
        self.map
            .insert(pointer.to_string(), Loc { key: None, value });
    }

    /// The spans of a post whose `field` is taken from `under` (a
    /// platform's override map): problems about `/caption` then point at
    /// `/threads/caption`.
    pub fn with_override(&self, under: &str, field: &str) -> Spans {
        let mut spans = self.clone();
        let own = format!("/{field}");
        let from = format!("/{under}/{field}");
        spans
            .map
            .retain(|k, _| !(k == &own || k.starts_with(&format!("{own}/"))));
        for (k, loc) in &self.map {
            if let Some(rest) = k.strip_prefix(&from) {
                if rest.is_empty() || rest.starts_with('/') {
                    spans.map.insert(format!("{own}{rest}"), *loc);
                }
            }
        }
        spans
    }

    pub fn get(&self, pointer: &str) -> Option<Loc> {
        self.map.get(pointer).copied()
    }

    /// Where the key or value starting at `start` ends, if one starts there.
    pub fn end_of(&self, start: Pos) -> Option<Pos> {
        let line = start.line.checked_sub(self.ends_shift)?;
        let end = self.ends.get(&Pos::new(line, start.column))?;
        Some(Pos::new(end.line + self.ends_shift, end.column))
    }

    /// The empty value at `at`, when YAML made it empty against the
    /// author's evident intent (`first_comment: #tags`).
    pub fn empty_at(&self, at: Pos) -> Option<&EmptyValue> {
        self.empties.get(&at)
    }

    fn lookup(&self, pointer: &str) -> Loc {
        let mut p = pointer;
        loop {
            if let Some(loc) = self.map.get(p) {
                return *loc;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => {
                    return Loc {
                        key: None,
                        value: Pos::START,
                    }
                }
            }
        }
    }

    /// Shift every line by `lines` (front matter starts below the `---`).
    pub(super) fn offset_lines(&mut self, lines: usize) {
        for loc in self.map.values_mut() {
            loc.value.line += lines;
            if let Some(k) = &mut loc.key {
                k.line += lines;
            }
        }
        let shift = |p: Pos| Pos::new(p.line + lines, p.column);
        self.ends_shift += lines;
        self.empties = self
            .empties
            .drain()
            .map(|(at, mut v)| {
                v.start = shift(v.start);
                v.end = shift(v.end);
                (shift(at), v)
            })
            .collect();
    }
}
