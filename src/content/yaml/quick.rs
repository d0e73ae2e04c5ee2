//! saphyr's events for the YAML posts are written in, read without its
//! general scanner: the typed fast path's (`content/typed.rs`) source of
//! events for almost every post.
//!
//! saphyr's scanner is written for all of YAML: every scalar is copied
//! into a `String` of its own, every token queued and looked at twice. A
//! post is a handful of `key: value` lines, a block list of media and a
//! flow list or two; reading just that, each plain scalar borrowed from
//! the text, costs a third: in `perf` of a 10,000-post plan, saphyr's
//! events were 15.9 % of the CPU (inclusive), this reader's 5.3 %
//! (BENCHMARKS.md).
//!
//! It reads a subset and gives up (None) on anything else, and then
//! saphyr reads the file as before: block mappings (one key a line, the
//! key plain and on the line of its `:`) and block sequences (indented
//! or not, an item on the line of its `-`, compact mappings as items),
//! one-line flow sequences and mappings, one-line plain, single- and
//! double-quoted scalars (the common escapes), comments and blank lines.
//! Not read: block scalars (`|`, `>`), anchors, aliases, tags, directives,
//! document markers, explicit keys, multi-line scalars and flows, empty
//! values, tabs, carriage returns, byte order marks and the control and
//! line-separator characters. What it does read gives saphyr's events
//! with the same values, styles and spans, as far as the typed reader
//! reads them: every scalar's start and end, every collection's start
//! (a block one empty, a flow one not), a flow collection's end. The
//! property test `quick_events_are_saphyrs` holds it to that on generated
//! and edited documents and on every post file of the repository.

use saphyr_parser::{Event, Marker, ScalarStyle, Span};
use std::borrow::Cow;

/// A document's events with their spans, in order.
pub(crate) type Events<'a> = Vec<(Event<'a>, Span)>;

/// The events of `text`, or None when it is not in the subset.
pub(crate) fn events(text: &str) -> Option<Events<'_>> {
    let ascii = admissible(text.as_bytes())?;
    let mut q = Quick {
        s: text.as_bytes(),
        text,
        ascii,
        line: 1,
        line_start: 0,
        line_index: 0,
        scanned: 0,
        depth: 0,
        out: Vec::with_capacity(48),
    };
    q.document()?;
    Some(q.out)
}

/// Whether every byte is one the subset allows; and whether all are ASCII.
/// Refused: tabs, carriage returns and other C0 controls, DEL, and the
/// characters YAML treats specially or refuses (C1 controls, among them
/// NEL; the line and paragraph separators; the byte order mark; U+FFFE
/// and U+FFFF).
fn admissible(s: &[u8]) -> Option<bool> {
    let mut ascii = true;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b < 0x80 {
            if (b < 0x20 && b != b'\n') || b == 0x7f {
                return None;
            }
            i += 1;
            continue;
        }
        ascii = false;
        match (b, s.get(i + 1), s.get(i + 2)) {
            (0xc2, Some(0x80..=0x9f), _)
            | (0xe2, Some(0x80), Some(0xa8 | 0xa9))
            | (0xef, Some(0xbb), Some(0xbf))
            | (0xef, Some(0xbf), Some(0xbe | 0xbf)) => return None,
            _ => i += 1,
        }
    }
    Some(ascii)
}

struct Quick<'a> {
    s: &'a [u8],
    text: &'a str,
    ascii: bool,
    /// The line (from 1) that starts at `line_start`, a byte offset, and
    /// its first character's index in the text: positions are asked in
    /// order, so the lines are counted once.
    line: usize,
    line_start: usize,
    line_index: usize,
    /// How far past `line_start` the text is known to have no line break.
    scanned: usize,
    /// Collections open, bounded as the generic path bounds them.
    depth: usize,
    out: Events<'a>,
}

/// Where a flow scalar may stop.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    Block,
    Flow,
}

fn scalar(value: Cow<'_, str>, style: ScalarStyle) -> Event<'_> {
    Event::Scalar(value, style, 0, None)
}

impl<'a> Quick<'a> {
    fn at(&self, p: usize) -> u8 {
        self.s.get(p).copied().unwrap_or(b'\n')
    }

    /// The position of byte `p` (at or after every position asked before).
    fn mark(&mut self, p: usize) -> Marker {
        if p < self.line_start {
            (self.line, self.line_start, self.line_index, self.scanned) = (1, 0, 0, 0);
        }
        loop {
            let from = self.scanned.clamp(self.line_start, p);
            let Some(nl) = self.s[from..p].iter().position(|&b| b == b'\n') else {
                break;
            };
            let end = from + nl;
            self.line_index += self.chars(self.line_start, end) + 1;
            self.line_start = end + 1;
            self.line += 1;
        }
        self.scanned = self.scanned.max(p);
        let col = self.chars(self.line_start, p);
        Marker::new(self.line_index + col, self.line, col)
    }

    fn chars(&self, from: usize, to: usize) -> usize {
        if self.ascii {
            to - from
        } else {
            self.s[from..to]
                .iter()
                .filter(|&&b| b & 0xc0 != 0x80)
                .count()
        }
    }

    fn push(&mut self, event: Event<'a>, from: usize, to: usize) {
        let span = Span::new(self.mark(from), self.mark(to));
        self.out.push((event, span));
    }

    fn spaces(&self, mut p: usize) -> usize {
        while self.s.get(p) == Some(&b' ') {
            p += 1;
        }
        p
    }

    /// `p` after spaces and a comment: the end of its line, or None when
    /// something else follows.
    fn line_end(&self, p: usize) -> Option<usize> {
        let q = self.spaces(p);
        match self.at(q) {
            b'\n' => Some(q),
            b'#' if q > p || self.at(p.wrapping_sub(1)) == b' ' => Some(self.eol(q)),
            _ => None,
        }
    }

    fn eol(&self, p: usize) -> usize {
        self.s[p..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.s.len(), |n| p + n)
    }

    /// The first line at or after the line starting at `p` that has
    /// anything but spaces and a comment: its start and its indentation;
    /// None at the end of the text or at a document marker.
    fn content_line(&self, mut p: usize) -> Option<Option<(usize, usize)>> {
        while p < self.s.len() {
            let q = self.spaces(p);
            match self.at(q) {
                b'\n' => p = q + 1,
                b'#' => p = self.eol(q) + 1,
                _ => {
                    if q == p
                        && (self.s[p..].starts_with(b"---") || self.s[p..].starts_with(b"..."))
                    {
                        return None;
                    }
                    return Some(Some((p, q - p)));
                }
            }
        }
        Some(None)
    }

    /// The line after a value that ended its line at `end`: nothing on it
    /// may be indented past `indent` (a continued scalar, or an error).
    fn no_continuation(&self, end: usize, indent: usize) -> Option<()> {
        let mut p = end + 1;
        while p < self.s.len() {
            let q = self.spaces(p);
            if self.at(q) != b'\n' {
                return (q - p <= indent).then_some(());
            }
            p = q + 1;
        }
        Some(())
    }

    fn document(&mut self) -> Option<()> {
        self.push(Event::StreamStart, 0, 0);
        let (start, indent) = self.content_line(0)??;
        if indent != 0 {
            return None;
        }
        self.push(Event::DocumentStart(false), start, start);
        let next = self.block_map(start, 0)?;
        if next.is_some() {
            return None;
        }
        let end = self.s.len();
        self.push(Event::MappingEnd, end, end);
        self.push(Event::DocumentEnd, end, end);
        self.push(Event::StreamEnd, end, end);
        Some(())
    }

    /// A block mapping whose first key is at `p`, in column `indent`;
    /// returns the next content line less indented (None: the text's end).
    /// Its end event is the caller's to push.
    fn block_map(&mut self, p: usize, indent: usize) -> Option<Option<(usize, usize)>> {
        self.open()?;
        self.push(Event::MappingStart(0, None), p, p);
        let mut p = p;
        loop {
            let colon = self.key_end(p)?;
            let key = &self.text[p..colon];
            self.push(scalar(Cow::Borrowed(key), ScalarStyle::Plain), p, colon);
            let next = self.value(colon + 1, indent)?;
            match next {
                Some((line, i)) if i == indent => p = line + i,
                Some((_, i)) if i > indent => return None,
                next => {
                    self.depth -= 1;
                    return Some(next);
                }
            }
        }
    }

    /// The `:` ending the plain key at `p`: on its line, followed by a
    /// space or the line's end, with no space before it.
    fn key_end(&self, p: usize) -> Option<usize> {
        if !plain_start(self.s, p, Context::Block) {
            return None;
        }
        let mut q = p;
        loop {
            match self.at(q) {
                b'\n' => return None,
                b':' if matches!(self.at(q + 1), b' ' | b'\n') => {
                    return (self.s[q - 1] != b' ' && q - p <= 1000).then_some(q);
                }
                b'#' if self.s[q - 1] == b' ' => return None,
                _ => q += 1,
            }
        }
    }

    /// The value after a key's `:` at `p - 1`, in a mapping in column
    /// `indent`; returns the next content line.
    fn value(&mut self, p: usize, indent: usize) -> Option<Option<(usize, usize)>> {
        let q = self.spaces(p);
        if self.at(q) != b'\n' && self.at(q) != b'#' {
            let end = self.node(q, Context::Block)?;
            let eol = self.line_end(end)?;
            self.no_continuation(eol, indent)?;
            return self.content_line(eol + 1);
        }
        let eol = self.line_end(p)?;
        let (line, i) = self.content_line(eol + 1)??;
        let first = line + i;
        let dash = self.at(first) == b'-' && matches!(self.at(first + 1), b' ' | b'\n');
        if i > indent && dash {
            self.block_seq(first, i, first)
        } else if i > indent {
            let next = self.block_map(first, i)?;
            let end = next.map_or(self.s.len(), |(l, i)| l + i);
            self.push(Event::MappingEnd, end, end);
            Some(next)
        } else if i == indent && dash {
            // An indentless sequence: saphyr starts it at its first item.
            let item = self.spaces(first + 1);
            self.block_seq(first, i, item)
        } else {
            None
        }
    }

    /// A block sequence whose first `-` is at `p`, in column `indent`,
    /// its start event at `start`; returns the next content line less
    /// indented, or in its column and not an item.
    fn block_seq(
        &mut self,
        p: usize,
        indent: usize,
        start: usize,
    ) -> Option<Option<(usize, usize)>> {
        self.open()?;
        self.push(Event::SequenceStart(0, None), start, start);
        let mut p = p;
        loop {
            if self.at(p + 1) != b' ' {
                return None;
            }
            let item = self.spaces(p + 1);
            let column = indent + (item - p);
            let next = if self.at(item) != b'\n' && self.key_end(item).is_some() {
                let next = self.block_map(item, column)?;
                let end = next.map_or(self.s.len(), |(l, i)| l + i);
                self.push(Event::MappingEnd, end, end);
                next
            } else {
                let end = self.node(item, Context::Block)?;
                let eol = self.line_end(end)?;
                self.no_continuation(eol, indent)?;
                self.content_line(eol + 1)?
            };
            match next {
                Some((line, i))
                    if i == indent
                        && self.at(line + i) == b'-'
                        && matches!(self.at(line + i + 1), b' ' | b'\n') =>
                {
                    p = line + i;
                }
                Some((_, i)) if i > indent => return None,
                next => {
                    let end = next.map_or(self.s.len(), |(l, i)| l + i);
                    self.push(Event::SequenceEnd, end, end);
                    self.depth -= 1;
                    return Some(next);
                }
            }
        }
    }

    /// A node on one line at `p`: a scalar or a flow collection; returns
    /// where it ends.
    fn node(&mut self, p: usize, context: Context) -> Option<usize> {
        match self.at(p) {
            b'[' => self.flow(p, b']'),
            b'{' => self.flow(p, b'}'),
            c @ (b'"' | b'\'') => self.quoted(p, c),
            _ => self.plain(p, context),
        }
    }

    fn plain(&mut self, p: usize, context: Context) -> Option<usize> {
        if !plain_start(self.s, p, context) {
            return None;
        }
        let mut q = p;
        let mut end = p;
        loop {
            match self.at(q) {
                b'\n' => break,
                b':' if ends_plain(self.at(q + 1), context) => break,
                b'#' if self.s[q - 1] == b' ' => break,
                b',' | b'[' | b']' | b'{' | b'}' if context == Context::Flow => break,
                b' ' => {}
                _ => end = q + 1,
            }
            q += 1;
        }
        // A `:` ending the scalar starts a mapping the subset leaves out.
        if self.at(q) == b':' {
            return None;
        }
        self.push(
            scalar(Cow::Borrowed(&self.text[p..end]), ScalarStyle::Plain),
            p,
            end,
        );
        Some(end)
    }

    /// A one-line single- or double-quoted scalar opened at `p` by
    /// `quote`; returns where it ends. Borrowed unless it has an escape.
    fn quoted(&mut self, p: usize, quote: u8) -> Option<usize> {
        let mut value: Option<String> = None;
        let mut from = p + 1;
        let mut q = p + 1;
        loop {
            let (c, len) = match self.at(q) {
                b'\n' => return None,
                b'\'' if quote == b'\'' && self.at(q + 1) == b'\'' => ('\'', 1),
                c if c == quote => break,
                b'\\' if quote == b'"' => escape(&self.s[q + 1..])?,
                _ => {
                    q += 1;
                    continue;
                }
            };
            let v = value.get_or_insert_with(String::new);
            v.push_str(&self.text[from..q]);
            v.push(c);
            q += 1 + len;
            from = q;
        }
        let text = match value {
            Some(mut v) => {
                v.push_str(&self.text[from..q]);
                Cow::Owned(v)
            }
            None => Cow::Borrowed(&self.text[from..q]),
        };
        let style = if quote == b'"' {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::SingleQuoted
        };
        let end = self.token_end(q + 1);
        self.push(scalar(text, style), p, end);
        Some(q + 1)
    }

    /// Where saphyr ends the span of a quoted scalar or a closing bracket
    /// that ends at `p`: past the spaces after it and a comment after them.
    fn token_end(&self, p: usize) -> usize {
        let after = self.spaces(p);
        match self.at(after) {
            b'#' if after > p => self.eol(after),
            _ => after,
        }
    }

    /// A one-line flow sequence or mapping opened at `p`; returns where
    /// it ends. saphyr's span of an opening bracket runs on over the
    /// spaces after it (a closing one's: [`Quick::token_end`]).
    fn flow(&mut self, p: usize, close: u8) -> Option<usize> {
        self.open()?;
        let map = close == b'}';
        let mut q = self.spaces(p + 1);
        let start = if map {
            Event::MappingStart(0, None)
        } else {
            Event::SequenceStart(0, None)
        };
        self.push(start, p, q);
        loop {
            if self.at(q) == close {
                break;
            }
            if map {
                let colon = self.flow_key_end(q)?;
                self.push(
                    scalar(Cow::Borrowed(&self.text[q..colon]), ScalarStyle::Plain),
                    q,
                    colon,
                );
                q = self.spaces(colon + 1);
            }
            let end = self.node(q, Context::Flow)?;
            q = self.spaces(end);
            match self.at(q) {
                b',' => {
                    q = self.spaces(q + 1);
                    // saphyr ends a mapping after a trailing comma with
                    // the comma's span: left to it.
                    if map && self.at(q) == close {
                        return None;
                    }
                }
                c if c == close => break,
                _ => return None,
            }
        }
        let end = self.token_end(q + 1);
        let event = if map {
            Event::MappingEnd
        } else {
            Event::SequenceEnd
        };
        self.push(event, q, end);
        self.depth -= 1;
        Some(q + 1)
    }

    /// One more collection open; None past the generic path's limit.
    fn open(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= super::MAX_DEPTH).then_some(())
    }

    /// The `:` ending the plain key at `p` of a flow mapping's entry,
    /// followed by a space; no space before it.
    fn flow_key_end(&self, p: usize) -> Option<usize> {
        if !plain_start(self.s, p, Context::Flow) {
            return None;
        }
        let mut q = p;
        loop {
            match self.at(q) {
                b':' if self.at(q + 1) == b' ' => {
                    return (self.s[q - 1] != b' ').then_some(q);
                }
                b'\n' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b':' => return None,
                _ => q += 1,
            }
        }
    }
}

/// Whether a plain scalar may start at `p`: not with an indicator (a
/// `-`, `?` or `:` only before something that continues it).
fn plain_start(s: &[u8], p: usize, context: Context) -> bool {
    match s.get(p) {
        None | Some(b' ' | b'\n') => false,
        Some(b'-' | b'?' | b':') => {
            let next = s.get(p + 1).copied().unwrap_or(b'\n');
            s[p] == b'-'
                && !matches!(next, b' ' | b'\n')
                && !(context == Context::Flow && matches!(next, b',' | b'[' | b']' | b'{' | b'}'))
        }
        Some(c) => !b",[]{}#&*!|>'\"%@`".contains(c),
    }
}

/// Whether a `:` before `next` ends a plain scalar.
fn ends_plain(next: u8, context: Context) -> bool {
    matches!(next, b' ' | b'\n')
        || (context == Context::Flow && matches!(next, b',' | b'[' | b']' | b'{' | b'}'))
}

/// A double-quoted scalar's escape after its `\`: the character and how
/// many bytes it took; None for the ones the subset leaves to saphyr.
fn escape(s: &[u8]) -> Option<(char, usize)> {
    let c = match s.first()? {
        b'\\' => '\\',
        b'"' => '"',
        b'/' => '/',
        b'n' => '\n',
        b't' => '\t',
        b'r' => '\r',
        b'0' => '\0',
        b'u' => {
            let hex = s.get(1..5)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let code = hex
                .iter()
                .fold(0, |n, &h| n * 16 + (h as char).to_digit(16).unwrap_or(0));
            return Some((char::from_u32(code)?, 5));
        }
        _ => return None,
    };
    Some((c, 1))
}

#[cfg(test)]
#[path = "quick_tests.rs"]
mod tests;
