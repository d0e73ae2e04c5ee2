//! `[accounts.NAME]` tables: `platform =` picks the platform (the
//! registry's first when absent), and that platform's folder reads the
//! rest ([`crate::platform::PlatformSpec::account`]). Errors point at the
//! key at fault, worded as for every other table ([`super::hints`]).

use super::checks::{find_header, find_key, find_key_at};
use super::{hints, Account, Config, ConfigError};
use crate::diagnostic::{offset_to_pos, Pos};
use crate::platform::{AccountError, Platform};
use std::collections::BTreeMap;

/// Every account of the file, read by its platform.
pub(super) fn read(
    tables: BTreeMap<String, toml::Table>,
    text: &str,
    file: &str,
) -> Result<BTreeMap<String, Account>, ConfigError> {
    let mut out = BTreeMap::new();
    for (name, mut table) in tables {
        let header = format!("[accounts.{name}]");
        let at_header = find_header(text, &header).map_or(Pos::START, |i| offset_to_pos(text, i));
        let err = |pos: Pos, message: String, help: Option<String>| ConfigError {
            file: file.to_string(),
            pos,
            end: None,
            message,
            help,
        };
        let platform = match table.remove("platform") {
            None => Platform::default(),
            Some(toml::Value::String(p)) => Platform::named(&p).ok_or_else(|| {
                let known: Vec<String> = Platform::all().map(|p| p.name().to_string()).collect();
                let help = match crate::validate::schema::closest(&p, &known) {
                    Some(near) => format!("did you mean \"{near}\"?"),
                    None => format!("postwright publishes to {}", Platform::names()),
                };
                err(
                    find_key(text, "platform", &header).unwrap_or(at_header),
                    format!("accounts.{name}.platform: unknown platform `{p}`"),
                    Some(help),
                )
            })?,
            Some(other) => {
                return Err(err(
                    find_key(text, "platform", &header).unwrap_or(at_header),
                    format!(
                        "accounts.{name}.platform must be a string, not {}",
                        other.type_str()
                    ),
                    Some(format!("one of {}, in quotes", Platform::names())),
                ))
            }
        };
        let schedule = table.remove("schedule");
        let settings = platform
            .spec()
            .account(&name, table)
            .map_err(|e| placed(e, text, &header, at_header, file))?;
        let mut account = Account::new(platform, settings);
        if let Some(value) = schedule {
            let at = find_key(text, "schedule", &header).unwrap_or(at_header);
            account.native = native(&name, platform, &value)
                .map_err(|(message, help)| err(at, message, Some(help)))?;
        }
        out.insert(name, account);
    }
    Ok(out)
}

/// `schedule = "native" | "apply"`: the platform's own scheduler, where it
/// has one, or apply's runs.
fn native(
    name: &str,
    platform: Platform,
    value: &toml::Value,
) -> Result<Option<crate::platform::NativeScheduling>, (String, String)> {
    let title = platform.title();
    match value.as_str() {
        Some("apply") => Ok(None),
        Some("native") => match platform.spec().capabilities(None).native_scheduling {
            Some(n) => Ok(Some(n)),
            None => Err((
                format!("accounts.{name}.schedule: {title} has no scheduler of its own"),
                format!("remove the line: apply's scheduled runs publish {title} posts when they are due"),
            )),
        },
        Some(other) => Err((
            format!("accounts.{name}.schedule: unknown value `{other}`"),
            "\"native\" (the platform holds the post and publishes it on the minute) or \"apply\" (apply's runs publish it; the default)".into(),
        )),
        None => Err((
            format!("accounts.{name}.schedule must be a string, not {}", value.type_str()),
            "\"native\" or \"apply\", in quotes".into(),
        )),
    }
}

/// A platform's refusal of an account table, at the key it concerns.
fn placed(e: AccountError, text: &str, header: &str, at_header: Pos, file: &str) -> ConfigError {
    let error = |pos, end, message, help| ConfigError {
        file: file.to_string(),
        pos,
        end,
        message,
        help,
    };
    match e {
        AccountError::Key { key, message, help } => error(
            find_key(text, &key, header).unwrap_or(at_header),
            None,
            message,
            help,
        ),
        AccountError::Serde(message) => {
            // serde names an unknown or missing key; an unknown value is
            // found by the value it quotes.
            let quoted = message.split('`').nth(1).unwrap_or("");
            let found = find_key_at(text, quoted, header)
                .map(|at| (at, quoted.len()))
                .or_else(|| find_value_at(text, quoted, header));
            let Some((start, len)) = found else {
                return error(at_header, None, message, None);
            };
            let end = start + len;
            match hints::explain(text, &message, start..end) {
                Some(h) => {
                    let span = h.span.unwrap_or(start..end);
                    error(
                        offset_to_pos(text, span.start),
                        Some(offset_to_pos(text, span.end)),
                        h.message,
                        h.help,
                    )
                }
                None => error(
                    offset_to_pos(text, start),
                    Some(offset_to_pos(text, end)),
                    message,
                    None,
                ),
            }
        }
    }
}

/// Where `value` is written as a key's value inside the table `header`
/// (from its opening quote when quoted), with its length as written.
fn find_value_at(text: &str, value: &str, header: &str) -> Option<(usize, usize)> {
    if value.is_empty() {
        return None;
    }
    let start = find_header(text, header)?;
    let lines = text[start..].split_inclusive('\n').scan(start, |at, line| {
        let here = *at;
        *at += line.len();
        Some((here, line))
    });
    for (line_start, line) in lines.skip(1) {
        if line.trim_start().starts_with('[') {
            return None;
        }
        let Some(eq) = line.find('=') else { continue };
        let rest = &line[eq + 1..];
        let trimmed = rest.trim_start();
        let offset = line_start + eq + 1 + (rest.len() - trimmed.len());
        let quoted = format!("\"{value}\"");
        if trimmed.starts_with(&quoted) {
            return Some((offset, quoted.len()));
        }
        if trimmed.starts_with(value) {
            return Some((offset, value.len()));
        }
    }
    None
}

/// What a platform's accounts make wrong across the file (e.g. a setting
/// one of its logins cannot use), at the key concerned.
pub(super) fn check(config: &Config, text: &str) -> Result<(), ConfigError> {
    for platform in Platform::all() {
        let Some(issue) = platform.spec().check_config(config) else {
            continue;
        };
        return Err(ConfigError {
            file: config.file.clone(),
            pos: find_key(text, &issue.key, &issue.table).unwrap_or(Pos::START),
            end: None,
            message: issue.message,
            help: Some(issue.help),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn error(text: &str) -> crate::config::ConfigError {
        Config::parse(text, "postwright.toml").unwrap_err()
    }

    #[test]
    fn each_platform_reads_its_own_keys_and_says_where_a_wrong_one_is() {
        let e = error("[accounts.a]\nplatform = \"thread\"\nuser_id = \"1\"\n");
        assert_eq!((e.pos.line, e.pos.column), (2, 1), "{e}");
        assert!(e.message.contains("unknown platform `thread`"), "{e}");
        assert_eq!(e.help.as_deref(), Some("did you mean \"threads\"?"));

        // `login` is Instagram's: on a Threads account it is unknown.
        let e =
            error("[accounts.a]\nplatform = \"threads\"\nuser_id = \"1\"\nlogin = \"instagram\"\n");
        assert_eq!(e.pos.line, 4, "{e}");
        assert!(e.message.contains("unknown key `login`"), "{e}");

        let e = error("[accounts.a]\nuser_id = \"1\"\ntoken_evn = \"X\"\n");
        assert_eq!(e.pos.line, 3, "{e}");
        assert_eq!(e.help.as_deref(), Some("did you mean `token_env`?"));

        let e = error("[accounts.a]\nuser_id = \"1\"\n\nlogin = \"myspace\"\n");
        assert_eq!((e.pos.line, e.pos.column), (4, 9), "{e}");
        assert!(e.message.contains("`myspace`"), "{e}");

        let e = error("[accounts.a]\nplatform = \"threads\"\nuser_id = \"@studio\"\n");
        assert_eq!(e.pos.line, 3, "{e}");
        assert!(e.message.contains("numeric Threads user id"), "{e}");

        let e = error("[accounts.a]\ntoken_env = \"X\"\n");
        assert_eq!(e.pos.line, 1, "{e}");
        assert!(e.message.contains("user_id"), "{e}");
    }

    #[test]
    fn schedule_native_only_where_the_platform_has_a_scheduler() {
        let c = Config::parse(
            "[accounts.m]\nplatform = \"mastodon\"\ninstance = \"https://m.example\"\nschedule = \"native\"\n[accounts.ig]\nuser_id = \"1\"\nschedule = \"apply\"\n",
            "postwright.toml",
        )
        .unwrap();
        assert_eq!(c.accounts["m"].native.map(|n| n.max_pending), Some(300));
        assert_eq!(c.accounts["ig"].native, None);

        let e = error("[accounts.ig]\nuser_id = \"1\"\n\nschedule = \"native\"\n");
        assert_eq!(e.pos.line, 4, "{e}");
        assert!(e.message.contains("Instagram has no scheduler"), "{e}");
        let e = error("[accounts.m]\nplatform = \"mastodon\"\ninstance = \"https://m.example\"\nschedule = \"nativ\"\n");
        assert_eq!(e.pos.line, 4, "{e}");
        assert!(e.message.contains("unknown value `nativ`"), "{e}");
        let e = error("[accounts.m]\nplatform = \"mastodon\"\ninstance = \"https://m.example\"\nschedule = true\n");
        assert!(e.message.contains("must be a string"), "{e}");
    }

    #[test]
    fn the_credential_variable_defaults_per_platform() {
        let c = Config::parse(
            "[accounts.ig]\nuser_id = \"1\"\n[accounts.th]\nplatform = \"threads\"\nuser_id = \"2\"\n[accounts.own]\nuser_id = \"3\"\ntoken_env = \"OWN\"\n",
            "postwright.toml",
        )
        .unwrap();
        assert_eq!(c.accounts["ig"].token_env(), "INSTAGRAM_ACCESS_TOKEN");
        assert_eq!(c.accounts["th"].token_env(), "THREADS_ACCESS_TOKEN");
        assert_eq!(c.accounts["own"].token_env(), "OWN");
        assert_eq!(c.accounts["th"].platform.name(), "threads");
    }
}
