//! Where the app folds a feed caption behind "… more".

/// Where the app folds a caption in the feed ("… more"): after about
/// 125 characters, or two lines, whichever comes first. Meta documents
/// no figure; 125 is the one commonly cited (e.g.
/// <https://charactercounter.com/instagram>: "just the first 125
/// characters"; <https://bulkpublish.com/blog/instagram-character-limit/>:
/// "after about 125 characters").
pub const FOLD_AT: usize = 125;

/// How many lines the feed shows before "… more".
pub const FOLD_LINES: usize = 2;

/// Where a caption of `chars` folds: at the line break that ends its
/// [`FOLD_LINES`]th line or after [`FOLD_AT`] characters, whichever comes
/// first; `None` when all of it shows.
pub(super) fn point(chars: &[char]) -> Option<usize> {
    let line_end = chars
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == '\n')
        .nth(FOLD_LINES - 1)
        .map(|(i, _)| i);
    match line_end {
        Some(i) if i < FOLD_AT && chars[i..].iter().any(|c| !c.is_whitespace()) => Some(i),
        _ => (chars.len() > FOLD_AT).then_some(FOLD_AT),
    }
}

#[cfg(test)]
mod tests {
    use super::super::caption_html;
    use super::*;

    #[test]
    fn a_caption_folds_after_its_second_line_if_that_comes_first() {
        let html = caption_html("One\nTwo #x\nThree");
        assert_eq!(
            html,
            "One<br>Two <span class=tag>#x</span><details class=more><summary>… more</summary><span class=rest><br>Three</span></details>"
        );
        // Two lines and nothing after them: nothing to fold.
        assert_eq!(caption_html("One\nTwo\n"), "One<br>Two<br>");
        // A second line past the 125th character: folded at 125.
        let long = format!("{}\nb\nc", "a".repeat(FOLD_AT + 5));
        let html = caption_html(&long);
        assert!(
            html.starts_with(&format!("{}<details", "a".repeat(FOLD_AT))),
            "{html}"
        );
    }
}
