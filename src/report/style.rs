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
}
