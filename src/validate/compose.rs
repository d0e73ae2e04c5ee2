//! The published schemas, composed: the static base in `schema/` plus what
//! each platform of the registry adds — its map in a post (`threads:`:
//! the common `$defs/platform_map` with the platform's own options) and
//! the keys of its accounts in postwright.toml. A new platform adds its
//! fragments in its folder; the base files do not change.

use crate::platform::Platform;
use serde_json::{json, Map, Value};
use std::sync::LazyLock;

/// `schema/post.schema.json`, the base of the post schema.
pub const POST_BASE: &str = include_str!("../../schema/post.schema.json");
/// `schema/config.schema.json`, the base of the config schema.
pub const CONFIG_BASE: &str = include_str!("../../schema/config.schema.json");

/// The whole post schema: what `postwright schema post` prints and every
/// post is checked against.
pub static POST: LazyLock<Value> = LazyLock::new(|| post(parse(POST_BASE)));

/// The whole config schema (`postwright schema config`).
pub static CONFIG: LazyLock<Value> = LazyLock::new(|| config(parse(CONFIG_BASE)));

/// A schema as printed: pretty JSON and a final newline.
pub fn text(schema: &Value) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}

fn parse(text: &str) -> Value {
    // A test (`schemas_compose`) proves the base and every fragment parse.
    serde_json::from_str(text).unwrap_or_else(|_| json!({}))
}

fn object(text: &str) -> Map<String, Value> {
    match parse(text) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Adds each platform's map to the post schema's properties.
fn post(mut schema: Value) -> Value {
    let common = schema["$defs"]["platform_map"].clone();
    for p in Platform::all() {
        let mut map = common.clone();
        let options = object(p.spec().post_options_schema());
        map["description"] = Value::String(if options.is_empty() {
            format!(
                "What the post's {} accounts get instead of its caption and media.",
                p.title()
            )
        } else {
            format!(
                "What the post's {t} accounts get instead of its caption and media, and {t}'s own options.",
                t = p.title()
            )
        });
        if let Some(props) = map["properties"].as_object_mut() {
            props.extend(options);
        }
        if let Some(props) = schema["properties"].as_object_mut() {
            props.insert(p.name().to_string(), map);
        }
    }
    schema
}

/// Adds each platform's account keys to the config schema: `platform` one
/// of the registry's names, and per platform (the default one also when
/// `platform` is absent) its keys, required ones and no others.
fn config(mut schema: Value) -> Value {
    let account = &mut schema["properties"]["accounts"]["additionalProperties"];
    let names: Vec<Value> = Platform::all().map(|p| json!(p.name())).collect();
    account["properties"]["platform"]["enum"] = Value::Array(names);
    let cases: Vec<Value> = Platform::all()
        .map(|p| {
            let mut then = Value::Object(object(p.spec().account_schema()));
            then["additionalProperties"] = json!(false);
            if let Some(props) = then["properties"].as_object_mut() {
                props.insert("platform".into(), json!({}));
            }
            let when = if p == Platform::default() {
                json!({"properties": {"platform": {"const": p.name()}}})
            } else {
                json!({"required": ["platform"], "properties": {"platform": {"const": p.name()}}})
            };
            json!({"if": when, "then": then})
        })
        .collect();
    account["allOf"] = Value::Array(cases);
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_compose_from_the_base_and_every_platform() {
        for text in [POST_BASE, CONFIG_BASE] {
            serde_json::from_str::<Value>(text).expect("base is JSON");
        }
        for p in Platform::all() {
            let spec = p.spec();
            serde_json::from_str::<Map<String, Value>>(spec.post_options_schema())
                .unwrap_or_else(|e| panic!("{p}'s post options: {e}"));
            let account: Value = serde_json::from_str(spec.account_schema())
                .unwrap_or_else(|e| panic!("{p}'s account schema: {e}"));
            assert!(account["properties"].is_object(), "{p}");
            // The base has no platform's map; the whole schema has each.
            assert!(parse(POST_BASE)["properties"].get(p.name()).is_none());
            let map = &POST["properties"][p.name()];
            assert_eq!(map["additionalProperties"], false, "{p}");
            assert!(map["properties"]["caption"].is_object(), "{p}");
            assert!(map["properties"]["media"].is_object(), "{p}");
        }
        jsonschema::validator_for(&POST).expect("post schema compiles");
        jsonschema::validator_for(&CONFIG).expect("config schema compiles");
    }

    #[test]
    fn each_account_takes_its_own_platforms_keys() {
        let v = jsonschema::validator_for(&CONFIG).unwrap();
        let config = |account: Value| json!({"accounts": {"a": account}});
        assert!(v.is_valid(&config(json!({"user_id": "1", "login": "instagram"}))));
        assert!(v.is_valid(&config(json!({"platform": "threads", "user_id": "1"}))));
        assert!(!v.is_valid(&config(
            json!({"platform": "threads", "user_id": "1", "login": "instagram"})
        )));
        assert!(!v.is_valid(&config(json!({"platform": "myspace", "user_id": "1"}))));
        assert!(!v.is_valid(&config(json!({"user_id": "1", "tokn_env": "X"}))));
    }
}
