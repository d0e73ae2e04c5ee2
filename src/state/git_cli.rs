//! The `git` command line, for what talks to a remote: it has the
//! credentials of whoever runs postwright (a runner's checkout token, an SSH
//! agent, a credential helper), which libgit2 would not.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The longest a fetch or push may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What one git command left, its stderr cleaned for messages.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// The stderr's last meaningful lines, for an error message.
    pub fn why(&self) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
            .collect();
        let tail = &lines[lines.len().saturating_sub(3)..];
        if tail.is_empty() {
            match self.code {
                Some(c) => format!("git exited with {c}"),
                None => "git was stopped (time limit or signal)".into(),
            }
        } else {
            tail.join("; ")
        }
    }
}

/// Runs `git -C repo ARGS` without a terminal prompt (a missing credential
/// fails at once instead of waiting for someone to type), with a time limit.
pub fn git(repo: &Path, args: &[&str]) -> std::io::Result<Ran> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let start = Instant::now();
    // Output is small (a ref or two, a few lines of progress): the pipes
    // cannot fill up while we wait.
    let mut pause = Duration::from_millis(1);
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output()?;
    Ok(Ran {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: redact(&String::from_utf8_lossy(&stderr)),
    })
}

/// Hides credentials written into a remote URL (`https://user:token@host`),
/// which git repeats in its messages.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_hidden() {
        assert_eq!(
            redact(
                "fatal: unable to access 'https://x-access-token:ghs_abc@github.com/o/r.git/': 403"
            ),
            "fatal: unable to access 'https://***@github.com/o/r.git/': 403"
        );
        assert_eq!(
            redact("To git://127.0.0.1:9/c.git and ssh://git@host/x"),
            "To git://127.0.0.1:9/c.git and ssh://***@host/x"
        );
        assert_eq!(redact("no url here"), "no url here");
    }
}
