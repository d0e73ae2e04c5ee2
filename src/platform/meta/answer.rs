//! What an HTTP answer of one of Meta's APIs is, before a platform's
//! transport types it: the same reading for the Graph API and Threads.

use serde_json::Value;

/// An answer, sorted.
#[derive(Debug)]
pub enum Answer {
    /// JSON without an `error` object (whatever the status: the upload
    /// host answers errors in a shape of its own).
    Json(Value),
    /// Meta's `error` object.
    Error(Value),
    /// A 5xx whose body is not JSON (a proxy's or load balancer's error
    /// page): passing, retried like a timeout.
    Transport(String),
    /// Anything else that cannot be read.
    Decode(String),
}

/// Sorts `body` of an answer with `status` from `api` ("Graph API").
pub fn read(api: &str, status: u16, body: &[u8]) -> Answer {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) if status >= 500 => {
            return Answer::Transport(format!("HTTP {status} without a {api} answer"))
        }
        Err(_) => {
            return Answer::Decode(format!(
                "HTTP {status} with a body that is not JSON ({} bytes)",
                body.len()
            ))
        }
    };
    match value.get("error") {
        Some(err) => Answer::Error(err.clone()),
        None => Answer::Json(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_sorted_by_status_and_body() {
        assert!(matches!(read("X", 200, br#"{"id":"1"}"#), Answer::Json(v) if v["id"] == "1"));
        assert!(
            matches!(read("X", 400, br#"{"error":{"code":100}}"#), Answer::Error(e) if e["code"] == 100)
        );
        assert!(
            matches!(read("X", 502, b"<html>"), Answer::Transport(m) if m.contains("X answer"))
        );
        assert!(matches!(read("X", 200, b"<html>"), Answer::Decode(_)));
        assert!(matches!(read("X", 404, b"{}"), Answer::Json(_)));
    }
}
