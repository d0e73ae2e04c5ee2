//! Every command's `--help`, pinned: the help is the manual most users
//! read, so a change to it shows in review as a snapshot diff (and moving
//! clap definitions between files cannot change it unseen).

use crate::common::{postwright, root};

/// Every command and subcommand, as typed after `postwright`.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["validate"],
    &["plan"],
    &["apply"],
    &["state"],
    &["state", "show"],
    &["state", "unlock"],
    &["state", "adopt"],
    &["status"],
    &["init"],
    &["auth"],
    &["auth", "inspect"],
    &["auth", "refresh"],
    &["auth", "exchange"],
    &["preview"],
    &["import"],
    &["schema"],
];

#[test]
fn every_commands_help_is_pinned() {
    let mut all = String::new();
    for args in COMMANDS {
        let out = postwright(&root())
            .args(*args)
            .arg("--help")
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "postwright {args:?} --help");
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("UTF-8 help");
        assert!(text.contains("Usage: postwright"), "{args:?}: {text}");
        let typed: Vec<&str> = args.iter().copied().chain(["--help"]).collect();
        all.push_str(&format!("$ postwright {}\n{text}\n", typed.join(" ")));
    }
    insta::assert_snapshot!(all);
}
