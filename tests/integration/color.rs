//! Colour (issue 14): on a terminal, with `--color always` or
//! `CLICOLOR_FORCE`; never with `--color never`, `NO_COLOR`, in pipes, in
//! `--out` files or in the json, markdown and github formats.

use crate::common::{fixtures, postwright};
use crate::plan::{Backend, Content, EARLY};
use std::path::Path;
use std::process::Command;

const ESC: &str = "\x1b[";
/// anstyle's codes for bold red (errors) and green (plan's `+`).
const RED: &str = "\x1b[1m\x1b[31m";
const GREEN: &str = "\x1b[32m";

fn mistakes() -> std::path::PathBuf {
    fixtures().join("mistakes")
}

/// stdout of postwright ARGS in the mistakes repo, with ENV, through a pipe.
fn piped(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = postwright(&mistakes());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// stdout of postwright ARGS in the mistakes repo on a pseudo-terminal
/// (util-linux `script`), with ENV.
/// `None` (the test says it is skipped) without `script` on PATH.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    crate::common::tool("script")?;
    let bin = assert_cmd::cargo::cargo_bin("postwright");
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let line: Vec<String> = std::iter::once(bin.to_string_lossy().into_owned())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|a| quote(&a))
        .collect();
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &line.join(" "), "/dev/null"])
        .current_dir(mistakes())
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("GITHUB_ACTIONS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("script(1) runs");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_terminal_gets_colour_unless_no_color() {
    let Some(out) = on_a_terminal(&["validate", "posts/colon.md"], &[]) else {
        return;
    };
    assert!(out.contains(&format!("{RED}error[yaml-syntax]")), "{out:?}");
    assert!(out.contains("help"), "{out:?}");
    let out =
        on_a_terminal(&["validate", "posts/colon.md"], &[("NO_COLOR", "1")]).unwrap_or_default();
    assert!(
        out.contains("error[yaml-syntax]") && !out.contains(ESC),
        "{out:?}"
    );
    let out =
        on_a_terminal(&["--color", "never", "validate", "posts/colon.md"], &[]).unwrap_or_default();
    assert!(
        out.contains("error[yaml-syntax]") && !out.contains(ESC),
        "{out:?}"
    );
    // Machine formats stay plain on a terminal too.
    let out =
        on_a_terminal(&["validate", "--format", "json", "posts/colon.md"], &[]).unwrap_or_default();
    assert!(
        out.contains("\"yaml-syntax\"") && !out.contains(ESC),
        "{out:?}"
    );
}

#[test]
fn pipes_are_plain_unless_asked() {
    let args = ["validate", "posts/colon.md"];
    let out = piped(&args, &[]);
    assert!(
        out.contains("error[yaml-syntax]") && !out.contains(ESC),
        "{out:?}"
    );
    let out = piped(&["--color", "always", "validate", "posts/colon.md"], &[]);
    assert!(out.contains(&format!("{RED}error[yaml-syntax]")), "{out:?}");
    // An explicit --color always wins over NO_COLOR; CLICOLOR_FORCE colours a pipe.
    let out = piped(
        &["--color", "always", "validate", "posts/colon.md"],
        &[("NO_COLOR", "1")],
    );
    assert!(out.contains(ESC), "{out:?}");
    let out = piped(&args, &[("CLICOLOR_FORCE", "1")]);
    assert!(out.contains(ESC), "{out:?}");
    let out = piped(&args, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!out.contains(ESC), "{out:?}");
    for format in ["json", "markdown", "github"] {
        let out = piped(
            &[
                "--color",
                "always",
                "validate",
                "--format",
                format,
                "posts/colon.md",
            ],
            &[],
        );
        assert!(
            out.contains("yaml-syntax") && !out.contains(ESC),
            "{format}: {out:?}"
        );
    }
}

#[test]
fn plan_colours_actions_but_never_its_out_file() {
    let content = Content::new(Backend::File);
    let args = ["--color", "always", "plan", "--at", EARLY, "--offline"];
    let run = content.run(&args);
    assert!(
        run.stdout.contains(&format!("{GREEN}+ publish")),
        "{:?}",
        run.stdout
    );
    let file = content.path().join("plan.txt");
    let mut with_out = args.to_vec();
    with_out.extend(["--out", file.to_str().unwrap()]);
    content.run(&with_out);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("+ publish") && !text.contains(ESC),
        "{text:?}"
    );
    // The github format carries the human listing for the log: plain.
    let mut github = args.to_vec();
    github.extend(["--format", "github"]);
    let run = content.run(&github);
    assert!(
        run.stdout.contains("+ publish") && !run.stdout.contains(ESC),
        "{:?}",
        run.stdout
    );
    assert!(Path::new(&file).exists());
}

#[test]
fn usage_errors_and_help_follow_color_too() {
    let out = postwright(&mistakes())
        .args(["--color", "sometimes", "validate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    // clap's own messages are told --color before it parses the rest.
    let out = postwright(&mistakes())
        .args(["--color", "always", "frobnicate"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{RED}error:")), "{stderr:?}");
    if let Some(out) = on_a_terminal(&["--color=never", "frobnicate"], &[]) {
        assert!(out.contains("error:") && !out.contains(ESC), "{out:?}");
    }
    // Our own usage errors too.
    let out = postwright(&mistakes())
        .args(["--color", "always", "validate", "posts/nope.md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{RED}error")), "{stderr:?}");
}
