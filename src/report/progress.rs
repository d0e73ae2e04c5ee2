//! Progress of a long apply, on stderr. On a terminal a spinner shows what
//! is being waited for (Meta processing a video) and step lines print above
//! it; elsewhere (CI logs, pipes, files) plain lines only, so a log reads
//! the same as the run went.

use crate::apply::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Step lines above a spinner that says what is being waited for.
pub struct Terminal {
    bar: ProgressBar,
}

impl Terminal {
    fn new() -> Terminal {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Terminal { bar }
    }
}

impl Progress for Terminal {
    fn line(&mut self, text: &str) {
        if self.bar.is_hidden() {
            eprintln!("{text}");
        } else {
            self.bar.println(text);
        }
    }

    fn status(&mut self, text: Option<&str>) {
        match text {
            Some(t) => {
                if self.bar.is_finished() {
                    self.bar.reset();
                }
                self.bar.set_message(t.to_string());
                self.bar.enable_steady_tick(Duration::from_millis(120));
            }
            None => self.bar.finish_and_clear(),
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The progress sink for this process: a spinner when stderr is a terminal
/// (and not a CI log or `TERM=dumb`), else plain lines.
pub fn stderr() -> Box<dyn Progress> {
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    let ci = std::env::var_os("CI").is_some() || std::env::var_os("GITHUB_ACTIONS").is_some();
    if std::io::stderr().is_terminal() && !dumb && !ci {
        Box::new(Terminal::new())
    } else {
        Box::new(crate::apply::Stderr)
    }
}
