//! The TOML mistakes people make in postwright.toml, said with the fix.
//!
//! The TOML and serde messages are right but terse: "unknown field
//! `timezon`, expected one of …" lists eleven keys instead of naming the one
//! meant, and "invalid float, expected `inf`" for `login = instagram` says
//! nothing about quotes. Each known shape gets plain words and a fix.

use crate::validate::schema::closest;

/// A config error in plain words: message and help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub message: String,
    pub help: Option<String>,
    /// Bytes of `text` the caret spans, when better than the parser's span.
    pub span: Option<std::ops::Range<usize>>,
}

/// Rewrites the parser's `message` about `text[span]`; None keeps it.
pub fn explain(text: &str, message: &str, span: std::ops::Range<usize>) -> Option<Hint> {
    if let Some((name, _)) = unknown(message, "unknown field `") {
        if is_credential(&name) {
            return Some(Hint {
                message: format!("`{name}`: postwright.toml never holds credentials (it is in git, and every plan reads it)"),
                help: Some("give the store's credentials in the environment: AWS_* variables (or GitHub OIDC through aws-actions/configure-aws-credentials), GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*; see docs/media-store.md. If a real key was committed, rotate it".into()),
                span: None,
            });
        }
    }
    // An unknown key, or an unknown value of a key with a fixed set.
    for (lead, what, near, all) in [
        (
            "unknown field `",
            "unknown key `{}`",
            "did you mean `{}`?",
            "known keys here: ",
        ),
        (
            "unknown variant `",
            "`{}` is not one of the values this key takes",
            "did you mean \"{}\"?",
            "use one of ",
        ),
    ] {
        if let Some((name, known)) = unknown(message, lead) {
            let help = match closest(&name, &known) {
                Some(k) => near.replace("{}", k),
                None => format!("{all}{}", tick_list(&known)),
            };
            return Some(Hint {
                message: what.replace("{}", &name),
                help: Some(help),
                span: None,
            });
        }
    }
    // Past here the hint quotes `text[span]`: it must be a real slice.
    text.get(span.clone())?;
    if message.starts_with("invalid type: integer") && message.contains("expected a string") {
        let value = text.get(span.clone())?;
        return Some(Hint {
            message: format!("`{value}` must be a string, in quotes"),
            help: Some(format!("quote it: `{}`", quoted_in_line(text, span))),
            span: None,
        });
    }
    bare_word(text, span.start).map(|word| Hint {
        message: format!(
            "strings need quotes in TOML: `{}` is not quoted",
            &text[word.clone()]
        ),
        help: Some(format!("write `{}`", quoted_in_line(text, word.clone()))),
        span: Some(word),
    })
}

/// A key that would hold a storage credential (`secret_access_key`,
/// `aws_session_token`, `account_key`, `sas_token`…).
fn is_credential(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "secret",
        "access_key",
        "key_id",
        "session_token",
        "account_key",
        "sas",
        "password",
        "credential",
        "service_account",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The name and the expected names of `unknown field `x`, expected one of
/// `a`, `b`` (or `expected `a` or `b``).
fn unknown(message: &str, lead: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix(lead)?;
    let (name, rest) = rest.split_once('`')?;
    let known: Vec<String> = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((name.to_string(), known))
}

fn tick_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The line holding `text[range]`, with that part in double quotes.
fn quoted_in_line(text: &str, range: std::ops::Range<usize>) -> String {
    let start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    format!(
        "{}\"{}\"{}",
        &text[start..range.start],
        &text[range.clone()],
        &text[range.end..end]
    )
    .trim()
    .to_string()
}

/// The bare word (an unquoted string) starting at byte `at` of a value:
/// `Europe/Berlin`, `instagram`. None for numbers, booleans and anything
/// that is not a word.
fn bare_word(text: &str, at: usize) -> Option<std::ops::Range<usize>> {
    let rest = text.get(at..)?;
    let len = rest
        .find([',', ']', '}', '#', '\n', '\r'])
        .unwrap_or(rest.len());
    let word = rest[..len].trim_end();
    let first = word.chars().next()?;
    let is_literal = matches!(word, "true" | "false" | "inf" | "nan")
        || first.is_ascii_digit()
        || matches!(first, '+' | '-' | '"' | '\'' | '[' | '{');
    (!is_literal && !word.contains(['=', '"'])).then(|| at..at + word.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(text: &str, needle: &str, message: &str) -> Hint {
        let at = text.find(needle).unwrap();
        explain(text, message, at..at + 1).unwrap()
    }

    #[test]
    fn unknown_keys_get_the_closest() {
        let h = hint(
            "timezon = \"UTC\"\n",
            "timezon",
            "unknown field `timezon`, expected one of `content`, `timezone`, `accounts`",
        );
        assert_eq!(h.message, "unknown key `timezon`");
        assert_eq!(h.help.as_deref(), Some("did you mean `timezone`?"));
        let h = hint(
            "zz = 1\n",
            "zz",
            "unknown field `zz`, expected `user_id` or `login`",
        );
        assert_eq!(
            h.help.as_deref(),
            Some("known keys here: `user_id`, `login`")
        );
    }

    #[test]
    fn credentials_are_refused_with_where_they_go() {
        for key in [
            "secret_access_key",
            "AWS_ACCESS_KEY_ID",
            "account_key",
            "sas_token",
        ] {
            let text = format!("{key} = \"x\"\n");
            let h = hint(
                &text,
                key,
                &format!("unknown field `{key}`, expected `store`"),
            );
            assert!(h.message.contains("never holds credentials"), "{key}");
            assert!(h.help.unwrap().contains("AWS_"));
        }
        let h = hint(
            "stor = 1\n",
            "stor",
            "unknown field `stor`, expected `store`",
        );
        assert_eq!(h.message, "unknown key `stor`");
    }

    #[test]
    fn bare_words_need_quotes() {
        let text = "timezone = Europe/Berlin\n";
        let h = hint(
            text,
            "Europe",
            "string values must be quoted, expected literal string",
        );
        assert_eq!(
            h.help.as_deref(),
            Some("write `timezone = \"Europe/Berlin\"`")
        );
        assert_eq!(h.span, Some(11..24));
        let text = "content = [posts, \"b\"]\n";
        let h = hint(text, "posts", "string values must be quoted");
        assert_eq!(
            h.help.as_deref(),
            Some("write `content = [\"posts\", \"b\"]`")
        );
        let at = "a = 12x".find('1').unwrap();
        assert_eq!(explain("a = 12x", "invalid number", at..at + 1), None);
    }

    #[test]
    fn any_span_of_any_text_is_safe() {
        let text = "timezone = Zürich/Ost # é\n[accounts.ü]\nuser_id = 17\nlogin = ig\n";
        let messages = [
            "unknown field `x`, expected `a` or `b`",
            "unknown variant `x`",
            "invalid type: integer `17`, expected a string",
            "string values must be quoted",
        ];
        for start in 0..=text.len() + 2 {
            for end in start..=(start + 3) {
                for m in messages {
                    let _ = explain(text, m, start..end);
                }
            }
        }
    }

    #[test]
    fn ids_given_as_numbers_need_quotes() {
        let text = "user_id = 1784\n";
        let at = text.find('1').unwrap();
        let h = explain(
            text,
            "invalid type: integer `1784`, expected a string",
            at..at + 4,
        )
        .unwrap();
        assert_eq!(h.help.as_deref(), Some("quote it: `user_id = \"1784\"`"));
    }
}
