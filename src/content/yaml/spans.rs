//! Where each part of a parsed document came from: for every JSON pointer
//! the key and value positions, for every key and scalar where it ends.
//!
//! Kept compact because every post has one: the pointers are written into
//! one buffer (a child's pointer is its parent's copied and extended, no
//! string of its own), the locations and the ends are sorted vectors
//! searched by halving. A post of twenty nodes costs three allocations
//! instead of two per node (a pointer string and a hash map slot each).

use crate::content::yaml_hints::EmptyValue;
use crate::diagnostic::Pos;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Where a value sits in the source: the key that introduced it (for map
/// values) and the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub key: Option<Pos>,
    pub value: Pos,
}

/// A pointer written into a [`Spans`]' buffer: where it starts and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ptr {
    start: usize,
    len: usize,
}

impl Ptr {
    /// The document's root (the empty pointer).
    pub(crate) const ROOT: Ptr = Ptr { start: 0, len: 0 };
}

/// JSON pointer (RFC 6901) → location, for every node of a document.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    /// Every recorded pointer, one after the other.
    paths: String,
    /// Pointer → location; sorted by pointer once the document is read.
    locs: Vec<(Ptr, Loc)>,
    /// Start → just past the end, for every key and scalar value and every
    /// flow (`[…]`, `{…}`) collection: how far a caret line reaches. Sorted
    /// by start once the document is read.
    ends: Vec<(Pos, Pos)>,
    /// Whether `locs` and `ends` are sorted (lookups halve) or still being
    /// written (lookups scan, the latest entry first).
    sorted: bool,
    /// Lines to add to what `ends` holds (front matter starts below the
    /// `---`): added on reading rather than re-keying every entry.
    ends_shift: usize,
    /// Empty values that look meant (`key: #tags`), by the value's position.
    pub(super) empties: HashMap<Pos, EmptyValue>,
}

impl Spans {
    /// Room for `nodes` keys and values without growing (a post has a
    /// dozen or two).
    pub(crate) fn with_capacity(nodes: usize) -> Spans {
        Spans {
            paths: String::with_capacity(nodes * 12),
            locs: Vec::with_capacity(nodes),
            ends: Vec::with_capacity(nodes),
            ..Spans::default()
        }
    }

    /// The pointer of `parent`'s entry `key`, escaped per RFC 6901.
    pub(crate) fn child_key(&mut self, parent: Ptr, key: &str) -> Ptr {
        let start = self.copy(parent);
        for c in key.chars() {
            match c {
                '~' => self.paths.push_str("~0"),
                '/' => self.paths.push_str("~1"),
                c => self.paths.push(c),
            }
        }
        Ptr {
            start,
            len: self.paths.len() - start,
        }
    }

    /// The pointer of `parent`'s item `index`.
    pub(crate) fn child_index(&mut self, parent: Ptr, index: usize) -> Ptr {
        let start = self.copy(parent);
        let _ = write!(self.paths, "{index}");
        Ptr {
            start,
            len: self.paths.len() - start,
        }
    }

    /// Writes `parent` and a `/` at the end of the buffer; where it starts.
    fn copy(&mut self, parent: Ptr) -> usize {
        let start = self.paths.len();
        self.paths
            .extend_from_within(parent.start..parent.start + parent.len);
        self.paths.push('/');
        start
    }

    /// The text of a pointer of this buffer.
    pub(crate) fn pointer(&self, p: Ptr) -> &str {
        &self.paths[p.start..p.start + p.len]
    }

    /// Records the location of the node at `at`.
    pub(crate) fn record(&mut self, at: Ptr, loc: Loc) {
        self.locs.push((at, loc));
    }

    /// Records where the key or scalar starting at `start` ends.
    pub(crate) fn record_end(&mut self, start: Pos, end: Pos) {
        // Recorded while the document is read, before any shift.
        self.ends.push((start, end));
    }

    /// Sorts what was recorded for lookups; of two entries for the same
    /// pointer or start the later one stays (what a map's insert does).
    pub(crate) fn finish(&mut self) {
        let paths = &self.paths;
        let text = |p: &Ptr| &paths[p.start..p.start + p.len];
        self.locs.reverse();
        self.locs.sort_by(|a, b| text(&a.0).cmp(text(&b.0)));
        self.locs.dedup_by(|b, a| text(&a.0) == text(&b.0));
        self.ends.reverse();
        self.ends.sort_by_key(|e| e.0);
        self.ends.dedup_by_key(|e| e.0);
        self.sorted = true;
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
        let start = self.paths.len();
        self.paths.push_str(pointer);
        let at = Ptr {
            start,
            len: pointer.len(),
        };
        let loc = Loc { key: None, value };
        if !self.sorted {
            self.locs.push((at, loc));
            return;
        }
        match self.search(pointer) {
            Ok(i) => self.locs[i] = (at, loc),
            Err(i) => self.locs.insert(i, (at, loc)),
        }
    }

    /// The spans of a post whose `field` is taken from `under` (a
    /// platform's override map): problems about `/caption` then point at
    /// `/threads/caption`.
    pub fn with_override(&self, under: &str, field: &str) -> Spans {
        let own = format!("/{field}");
        let from = format!("/{under}/{field}");
        let mut spans = Spans {
            paths: String::with_capacity(self.paths.len()),
            locs: Vec::with_capacity(self.locs.len()),
            ends: self.ends.clone(),
            sorted: false,
            ends_shift: self.ends_shift,
            empties: self.empties.clone(),
        };
        let add = |spans: &mut Spans, parts: [&str; 2], loc: Loc| {
            let start = spans.paths.len();
            spans.paths.push_str(parts[0]);
            spans.paths.push_str(parts[1]);
            let len = spans.paths.len() - start;
            spans.locs.push((Ptr { start, len }, loc));
        };
        for (k, loc) in self.entries() {
            let under_own = k
                .strip_prefix(own.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            if !under_own {
                add(&mut spans, [k, ""], loc);
            }
        }
        for (k, loc) in self.entries() {
            if let Some(rest) = k.strip_prefix(from.as_str()) {
                if rest.is_empty() || rest.starts_with('/') {
                    add(&mut spans, [own.as_str(), rest], loc);
                }
            }
        }
        spans.finish();
        spans
    }

    pub fn get(&self, pointer: &str) -> Option<Loc> {
        if self.sorted {
            return self.search(pointer).ok().map(|i| self.locs[i].1);
        }
        self.locs
            .iter()
            .rev()
            .find(|(p, _)| self.pointer(*p) == pointer)
            .map(|(_, loc)| *loc)
    }

    /// Every pointer and its location, in the pointers' order once the
    /// document is read.
    pub fn entries(&self) -> impl Iterator<Item = (&str, Loc)> + '_ {
        self.locs.iter().map(|(p, loc)| (self.pointer(*p), *loc))
    }

    fn search(&self, pointer: &str) -> Result<usize, usize> {
        self.locs
            .binary_search_by(|(p, _)| self.pointer(*p).cmp(pointer))
    }

    /// Where the key or value starting at `start` ends, if one starts there.
    pub fn end_of(&self, start: Pos) -> Option<Pos> {
        let line = start.line.checked_sub(self.ends_shift)?;
        let at = Pos::new(line, start.column);
        let end = if self.sorted {
            let i = self.ends.binary_search_by_key(&at, |e| e.0).ok()?;
            self.ends[i].1
        } else {
            self.ends.iter().rev().find(|e| e.0 == at)?.1
        };
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
            if let Some(loc) = self.get(p) {
                return loc;
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
    pub(crate) fn offset_lines(&mut self, lines: usize) {
        for (_, loc) in &mut self.locs {
            loc.value.line += lines;
            if let Some(k) = &mut loc.key {
                k.line += lines;
            }
        }
        let shift = |p: Pos| Pos::new(p.line + lines, p.column);
        self.ends_shift += lines;
        if !self.empties.is_empty() {
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
}

/// Two spans are equal when they give every lookup the same answer.
impl PartialEq for Spans {
    fn eq(&self, other: &Spans) -> bool {
        let ends = |s: &Spans| -> Vec<(Pos, Pos)> {
            let mut e: Vec<(Pos, Pos)> = s
                .ends
                .iter()
                .map(|&(a, b)| {
                    let down = |p: Pos| Pos::new(p.line + s.ends_shift, p.column);
                    (down(a), down(b))
                })
                .collect();
            e.sort_by_key(|x| x.0);
            e
        };
        let mut mine: Vec<(&str, Loc)> = self.entries().collect();
        let mut theirs: Vec<(&str, Loc)> = other.entries().collect();
        mine.sort_by(|a, b| a.0.cmp(b.0));
        theirs.sort_by(|a, b| a.0.cmp(b.0));
        mine == theirs && ends(self) == ends(other) && self.empties == other.empties
    }
}
