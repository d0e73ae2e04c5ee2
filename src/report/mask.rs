//! `::add-mask::` workflow commands for the configured accounts' tokens.
//!
//! The runner masks the repository's secrets, but not copies of them under
//! other names, nor a token a step put in the environment itself. The binary
//! knows which variables hold tokens (each account's `token_env`), so it names
//! their values to the runner before printing anything else. The runner
//! masks line by line, so a value spanning lines is masked one line at a time.

use crate::config::Config;
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Once;

/// The `::add-mask::VALUE` lines for the values of the configured accounts'
/// token variables that are set and not blank, as read by `var`; each value
/// (each line of a value) once, by variable name.
pub fn add_mask_lines(config: &Config, var: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut lines = Vec::new();
    let names: BTreeSet<&str> = config.accounts.values().map(|a| a.token_env()).collect();
    for name in names {
        let Some(value) = var(name) else { continue };
        for part in value.split(['\n', '\r']) {
            // The runner refuses blank masks; a line of spaces is no secret.
            if part.trim().is_empty() || !seen.insert(part.to_string()) {
                continue;
            }
            lines.push(format!("::add-mask::{}", escape_data(part)));
        }
    }
    lines
}

/// The runner unescapes a command's data (`%25` → `%`, `%0A`, `%0D`), so a
/// literal `%` is written as `%25` for the mask to be the value itself.
fn escape_data(value: &str) -> String {
    value.replace('%', "%25")
}

/// Inside GitHub Actions (`GITHUB_ACTIONS=true`), prints the mask lines on
/// stderr, once per process. The runner reads workflow commands from the
/// step's stderr as well as its stdout; stderr keeps `--format json` output
/// on stdout valid JSON.
pub fn announce(config: &Config) {
    static ONCE: Once = Once::new();
    if std::env::var("GITHUB_ACTIONS").as_deref() != Ok("true") {
        return;
    }
    ONCE.call_once(|| {
        let lines = add_mask_lines(config, |name| std::env::var(name).ok());
        if lines.is_empty() {
            return;
        }
        let mut err = std::io::stderr().lock();
        for line in lines {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(accounts: &[(&str, Option<&str>)]) -> Config {
        let mut text =
            String::from("content = [\"posts\"]\ntimezone = \"UTC\"\ndefault_account = \"a\"\n");
        for (name, env) in accounts {
            text.push_str(&format!(
                "[accounts.{name}]\nuser_id = \"1784140582230491\"\n"
            ));
            if let Some(env) = env {
                text.push_str(&format!("token_env = \"{env}\"\n"));
            }
        }
        Config::parse(&text, "postwright.toml").unwrap()
    }

    fn lines(config: &Config, env: &[(&str, &str)]) -> Vec<String> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        add_mask_lines(config, |name| env.get(name).cloned())
    }

    #[test]
    fn masks_only_the_set_token_variables() {
        let c = config(&[("a", Some("A_TOKEN")), ("b", Some("B_TOKEN"))]);
        assert_eq!(
            lines(&c, &[("A_TOKEN", "IGQaaa111"), ("OTHER", "x")]),
            ["::add-mask::IGQaaa111"]
        );
        assert!(lines(&c, &[]).is_empty());
        assert!(lines(&c, &[("A_TOKEN", ""), ("B_TOKEN", "  ")]).is_empty());
    }

    #[test]
    fn the_default_token_variable_counts() {
        let c = config(&[("a", None)]);
        assert_eq!(
            lines(&c, &[("INSTAGRAM_ACCESS_TOKEN", "EAAdefault")]),
            ["::add-mask::EAAdefault"]
        );
    }

    #[test]
    fn each_value_once() {
        // Two accounts on one variable, and two variables holding one token.
        let c = config(&[("a", Some("T1")), ("b", Some("T1")), ("c", Some("T2"))]);
        assert_eq!(
            lines(&c, &[("T1", "same"), ("T2", "same")]),
            ["::add-mask::same"]
        );
    }

    #[test]
    fn a_value_over_lines_is_masked_line_by_line() {
        let c = config(&[("a", Some("T1"))]);
        assert_eq!(
            lines(&c, &[("T1", "first\r\nsecond\n\nfirst\n")]),
            ["::add-mask::first", "::add-mask::second"]
        );
        assert!(lines(&c, &[("T1", "x\ny")])
            .iter()
            .all(|l| !l["::add-mask::".len()..].contains('\n')));
    }

    #[test]
    fn percent_signs_survive_the_runners_unescaping() {
        let c = config(&[("a", Some("T1"))]);
        assert_eq!(
            lines(&c, &[("T1", "ab%0Acd%25")]),
            ["::add-mask::ab%250Acd%2525"]
        );
    }
}
