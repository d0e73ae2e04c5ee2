//! The published JSON Schemas, and the post check against them with every
//! error mapped back to the line and column of the key or value at fault.

use crate::content::{yaml::pointer_join, Spans};
use crate::diagnostic::{Pos, Problem, Rule};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::Validator;
use serde_json::Value;
use std::sync::LazyLock;

/// The post schema (the base in `schema/` and every platform's map:
/// [`super::compose`]), compiled once. The schema is the program's own,
/// proven to compile by `schemas_compile`.
static POST_VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&super::compose::POST)
        .expect("post schema is a valid JSON Schema")
});

/// The field names the schema knows, for "did you mean" hints.
static POST_FIELDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    super::compose::POST["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
});

const MEDIA_ITEM_FIELDS: &[&str] = &["src", "alt_text", "user_tags", "product_tags"];
const USER_TAG_FIELDS: &[&str] = &["username", "x", "y"];
const PRODUCT_TAG_FIELDS: &[&str] = &["product_id", "x", "y"];
const TRIAL_FIELDS: &[&str] = &["graduation"];

/// Checks a post document against the post schema.
pub fn check_post(file: &str, value: &Value, spans: &Spans) -> Vec<Problem> {
    if let Some(problem) = check_root(file, value) {
        return vec![problem];
    }
    // Most posts are valid: the yes/no check is cheaper than collecting errors.
    if POST_VALIDATOR.is_valid(value) {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for error in POST_VALIDATOR.iter_errors(value) {
        let pointer = error.instance_path().as_str().to_string();
        let field = display_path(&pointer);
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let at = spans.key(&pointer_join(&pointer, key));
                    let known = known_fields(&pointer);
                    let mut p = Problem::new(
                        Rule::UnknownField,
                        file,
                        at,
                        if pointer.is_empty() {
                            format!("unknown field `{key}`")
                        } else {
                            format!("unknown field `{key}` in {field}")
                        },
                    );
                    p = match closest(key, &known) {
                        Some(s) => p.with_help(format!("did you mean `{s}`?")),
                        None => p.with_help(format!("known fields here: {}", known.join(", "))),
                    };
                    problems.push(p);
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let at = if pointer.is_empty() {
                    Pos::START
                } else {
                    spans.value(&pointer)
                };
                let where_ = if pointer.is_empty() {
                    String::new()
                } else {
                    format!(" in {field}")
                };
                problems.push(Problem::new(
                    Rule::Schema,
                    file,
                    at,
                    format!("missing required field `{name}`{where_}"),
                ));
            }
            kind => {
                let got = describe(error.instance());
                let message = match kind {
                    ValidationErrorKind::Type { kind } => {
                        format!("{field} must be {}, not {got}", expected(kind))
                    }
                    ValidationErrorKind::Enum { options } => {
                        let opts: Vec<String> = options
                            .as_array()
                            .map(|a| a.iter().map(|v| v.to_string()).collect())
                            .unwrap_or_default();
                        format!("{field} must be one of {}, not {got}", opts.join(", "))
                    }
                    ValidationErrorKind::MinItems { limit } => {
                        format!("{field} needs at least {limit} item(s)")
                    }
                    ValidationErrorKind::MinLength { .. } => format!("{field} must not be empty"),
                    ValidationErrorKind::MaxLength { limit } => {
                        format!("{field} is longer than {limit} characters")
                    }
                    ValidationErrorKind::Pattern { pattern } => {
                        format!("{field} {got} does not match the pattern {pattern}")
                    }
                    ValidationErrorKind::Minimum { limit } => {
                        format!("{field} must be at least {limit}, not {got}")
                    }
                    _ => format!("{field}: {error}"),
                };
                problems.push(Problem::new(
                    Rule::Schema,
                    file,
                    spans.value(&pointer),
                    message,
                ));
            }
        }
    }
    problems
}

/// A post that is not a mapping at all gets one clear error instead of a
/// cascade.
fn check_root(file: &str, value: &Value) -> Option<Problem> {
    let message = match value {
        Value::Object(_) => return None,
        Value::Null => "the post is empty".to_string(),
        other => format!(
            "a post is a mapping of fields (`media:`, `caption:`, …), but this file holds {}",
            describe(other)
        ),
    };
    Some(
        Problem::new(Rule::Schema, file, Pos::START, message)
            .with_help("start from an example: `media: [photo.jpg]` then `caption: Hello`"),
    )
}

fn known_fields(pointer: &str) -> Vec<String> {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    match segments.as_slice() {
        [] => POST_FIELDS.clone(),
        [.., "user_tags", _] => names(USER_TAG_FIELDS),
        [.., "product_tags", _] => names(PRODUCT_TAG_FIELDS),
        ["media", _] => names(MEDIA_ITEM_FIELDS),
        ["trial"] => names(TRIAL_FIELDS),
        // A platform's map: `caption`, `media` and its own options.
        [name] => super::compose::POST["properties"][*name]["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// `/media/1/alt_text` → `media[1].alt_text`, in backticks; the root is "the post".
pub fn display_path(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the post".to_string();
    }
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.bytes().all(|b| b.is_ascii_digit()) && !seg.is_empty() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    format!("`{out}`")
}

fn expected(kind: &TypeKind) -> String {
    let names: Vec<String> = match kind {
        TypeKind::Single(t) => vec![t.to_string()],
        TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
    };
    names
        .iter()
        .map(|n| match n.as_str() {
            "object" => "a mapping",
            "array" => "a list",
            "string" => "text",
            "integer" => "a whole number",
            "number" => "a number",
            "boolean" => "true or false",
            "null" => "empty",
            _ => "a value",
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A short description of a value for messages: `the text "abc"`, `a list`.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "an empty value".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let more = if s.chars().count() > 40 { "…" } else { "" };
            format!("the text \"{short}{more}\"")
        }
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// The known name closest to a typo, when it is close enough to be a guess.
pub fn closest<'a>(typo: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(typo, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_compile() {
        LazyLock::force(&POST_VALIDATOR);
        jsonschema::options()
            .build(&crate::validate::compose::CONFIG)
            .unwrap();
    }

    #[test]
    fn suggestions() {
        let known = POST_FIELDS.clone();
        assert_eq!(closest("captoin", &known), Some("caption"));
        assert_eq!(closest("publishat", &known), Some("publish_at"));
        assert_eq!(closest("allow_duplicates", &known), Some("allow_duplicate"));
        assert_eq!(closest("product_tag", &known), Some("product_tags"));
        assert_eq!(closest("sponsors_ids", &known), Some("sponsor_ids"));
        assert_eq!(
            closest("graduaton", &known_fields("/trial")),
            Some("graduation")
        );
        assert_eq!(
            closest("produkt_id", &known_fields("/media/0/product_tags/1")),
            Some("product_id")
        );
        assert_eq!(closest("zzzzzzzz", &known), None);
        assert_eq!(closest("treads", &known), Some("threads"));
        assert_eq!(
            closest("reply_contrl", &known_fields("/threads")),
            Some("reply_control")
        );
    }

    #[test]
    fn paths_display_like_code() {
        assert_eq!(display_path("/media/1/alt_text"), "`media[1].alt_text`");
        assert_eq!(display_path(""), "the post");
    }
}
