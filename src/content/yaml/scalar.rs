//! Plain scalars resolved by the YAML 1.2 core schema: `no` stays a
//! string (YAML 1.1 made it `false`), `0x1F` is a number, `.inf` is not
//! (JSON has no infinity).

use serde_json::{Number, Value};
use std::borrow::Cow;

/// YAML 1.2 core schema resolution of a plain scalar; its text is moved
/// into the value when it stays text (no copy of what the parser made).
pub(super) fn resolve_plain(s: Cow<'_, str>) -> Value {
    resolve_non_text(&s).unwrap_or_else(|| Value::String(s.into_owned()))
}

/// The null, boolean or number a plain scalar is, if it is one.
fn resolve_non_text(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    if let Some(n) = parse_int(s) {
        return Some(Value::Number(n.into()));
    }
    if is_float(s) {
        if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
            return Some(Value::Number(n));
        }
    }
    None
}

fn parse_int(s: &str) -> Option<i64> {
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_float(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if matches!(body, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        // JSON has no infinity or NaN: they stay strings and fail the schema.
        return false;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let int_ok = int.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = frac.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()));
    let has_digits = !int.is_empty() || frac.is_some_and(|f| !f.is_empty());
    let exp_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    int_ok && frac_ok && has_digits && exp_ok && (frac.is_some() || exponent.is_some())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn core_schema_scalars() {
        let doc = super::super::parse(
            "a: no\nb: true\nc: 12\nd: 1.5\ne: ~\nf: '12'\ng: 2026-12-01T09:00:00+01:00\nh: 0x1F\ni: 1e3\nj: .inf\n",
            0,
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"a":"no","b":true,"c":12,"d":1.5,"e":null,"f":"12",
                   "g":"2026-12-01T09:00:00+01:00","h":31,"i":1000.0,"j":".inf"})
        );
    }
}
