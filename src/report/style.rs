//! Colour for people at a terminal.
//!
//! Human output is styled as it is rendered. Whether the codes reach anyone
//! is decided where the text leaves, in one place each: stdout goes through
//! anstream's `AutoStream` (which drops them for pipes and files, with
//! `NO_COLOR`, and with `--color never`), and text embedded in another
//! format (Markdown, GitHub) or written to `--out` is [`strip`]ped.

use anstyle::{AnsiColor, Style};

pub const ERROR: Style = AnsiColor::Red.on_default().bold();
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
/// `= help:` and `note:` labels.
pub const HELP: Style = AnsiColor::Cyan.on_default().bold();
/// The message of a diagnostic, and notes' text.
pub const STRONG: Style = Style::new().bold();
/// The ` | ` gutter and line numbers of a snippet.
pub const GUTTER: Style = AnsiColor::Blue.on_default().bold();
/// Plan: what apply adds (`+`), changes (`~`) and removes (`-`).
pub const ADD: Style = AnsiColor::Green.on_default();
pub const CHANGE: Style = AnsiColor::Yellow.on_default();
pub const REMOVE: Style = AnsiColor::Red.on_default();

/// `text` in `style` (the codes, the text, a reset).
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// The text without any escape codes: for files and other formats.
pub fn strip(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

/// Writes `buf` without its escape codes, as anstream's stripping stream
/// would, but without its byte-at-a-time state machine for the bulk of
/// it: a run of plain ASCII is written as it is and our own colour codes
/// (`ESC [ digits ; … m`) are skipped; at the first other byte (any other
/// control or escape, anything not ASCII) the rest goes through anstream.
/// A 10,000-post plan's report is about a megabyte: anstream's stripping
/// took 4.2 ms of CPU a run (perf, self time over five runs), on one
/// thread at the end of it; this takes 1.1 ms.
pub fn write_stripped(out: &mut dyn std::io::Write, mut buf: &[u8]) -> std::io::Result<()> {
    loop {
        let plain = buf
            .iter()
            .position(|&b| !matches!(b, 0x20..=0x7e | b'\n' | b'\t' | b'\r'))
            .unwrap_or(buf.len());
        out.write_all(&buf[..plain])?;
        buf = &buf[plain..];
        if buf.is_empty() {
            return Ok(());
        }
        match colour_code(buf) {
            Some(len) => buf = &buf[len..],
            None => {
                for printable in anstream::adapter::strip_bytes(buf) {
                    out.write_all(printable)?;
                }
                return Ok(());
            }
        }
    }
}

/// The length of the SGR sequence (`ESC [`, digits and `;`, `m`) `b`
/// starts with, if it starts with one.
fn colour_code(b: &[u8]) -> Option<usize> {
    let params = b.strip_prefix(b"\x1b[")?;
    let n = params
        .iter()
        .position(|c| !matches!(c, b'0'..=b'9' | b';'))?;
    (params[n] == b'm').then_some(n + 3)
}

/// The style of a severity's name.
pub fn severity(s: crate::diagnostic::Severity) -> Style {
    match s {
        crate::diagnostic::Severity::Error => ERROR,
        crate::diagnostic::Severity::Warning => WARNING,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_and_strip_round_trip() {
        let red = paint(ERROR, "error");
        assert!(red.starts_with("\x1b["), "{red:?}");
        assert_ne!(red, "error");
        assert_eq!(strip(&format!("{red}: x")), "error: x");
    }

    /// Whatever the bytes, `write_stripped` writes what anstream's
    /// stripping writes.
    #[test]
    fn write_stripped_is_anstreams_strip() {
        fn theirs(buf: &[u8]) -> Vec<u8> {
            anstream::adapter::strip_bytes(buf)
                .flatten()
                .copied()
                .collect()
        }
        fn ours(buf: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            write_stripped(&mut out, buf).unwrap();
            out
        }
        let cases: [&[u8]; 12] = [
            b"plain text\n\twith tabs\r\n",
            b"\x1b[1;31merror\x1b[0m: x\n",
            b"\x1b[mreset\x1b[32m+\x1b[39m",
            b"osc \x1b]0;title\x07 after",
            b"cursor \x1b[?25l hidden \x1b[2J",
            b"bell \x07 del \x7f vt \x0b ff \x0c",
            b"utf-8 \xc3\xa9t\xc3\xa9 \xe2\x80\x94",
            b"c1 \xc2\x9b31m raw \x9b31m",
            b"escape at end \x1b",
            b"escape then text \x1bx",
            b"\x1b[31",
            b"",
        ];
        for case in cases {
            assert_eq!(
                ours(case),
                theirs(case),
                "{:?}",
                String::from_utf8_lossy(case)
            );
        }
        // And on bytes drawn mostly from what the cases are made of.
        let alphabet = b"ab \n\t\x1b[;m0139?]\x07\x7f\xc3\xa9\x9b";
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..5_000 {
            let mut buf = Vec::new();
            for _ in 0..(x % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                buf.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            assert_eq!(ours(&buf), theirs(&buf), "{buf:?}");
        }
    }
}
