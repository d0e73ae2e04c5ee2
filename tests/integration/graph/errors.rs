//! Answers: success bodies and Meta's error objects, with Meta's HTTP
//! statuses (400 for most, 500 for codes 1 and 2, 403 for permission and
//! platform rate-limit errors).

use super::Effect;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

pub(super) enum Body {
    Json(Value),
    /// A non-JSON body with its content type.
    Text(String, &'static str),
}

/// What a request comes to before it becomes an HTTP answer.
pub(super) struct Outcome {
    pub status: u16,
    pub body: Body,
    pub effects: Vec<Effect>,
    pub headers: Vec<(&'static str, String)>,
    pub drop: bool,
    /// Meta error code, for the record.
    pub code: Option<i64>,
}

/// Errors travel boxed: an answer is big and rare.
pub(super) type Out = Box<Outcome>;
pub(super) type Res<T> = Result<T, Out>;

pub(super) fn ok(v: Value) -> Out {
    Box::new(Outcome {
        status: 200,
        body: Body::Json(v),
        effects: Vec::new(),
        headers: Vec::new(),
        drop: false,
        code: None,
    })
}

pub(super) fn ok_with(v: Value, effect: Effect) -> Out {
    let mut o = ok(v);
    o.effects.push(effect);
    o
}

static TRACE: AtomicU64 = AtomicU64::new(1);

fn fbtrace() -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut n = super::state::splitmix(TRACE.fetch_add(1, Ordering::Relaxed));
    let mut s = String::from("A");
    for _ in 0..22 {
        s.push(A[(n % 62) as usize] as char);
        n /= 62;
        if n == 0 {
            n = super::state::splitmix(n ^ 0x5555);
        }
    }
    s
}

/// A Meta error under construction.
pub(super) struct MetaErr {
    code: i64,
    subcode: Option<i64>,
    message: String,
    title: Option<String>,
    user_msg: Option<String>,
    kind: &'static str,
    status: Option<u16>,
    transient: Option<bool>,
}

pub(super) fn meta(code: i64, message: impl Into<String>) -> MetaErr {
    MetaErr {
        code,
        subcode: None,
        message: message.into(),
        title: None,
        user_msg: None,
        kind: "OAuthException",
        status: None,
        transient: None,
    }
}

impl MetaErr {
    pub(super) fn sub(mut self, subcode: i64) -> Self {
        self.subcode = Some(subcode);
        self
    }

    /// `error_user_title` and `error_user_msg`.
    pub(super) fn user(mut self, title: &str, msg: impl Into<String>) -> Self {
        self.title = Some(title.to_string());
        self.user_msg = Some(msg.into());
        self
    }

    pub(super) fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    pub(super) fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(super) fn transient(mut self, t: bool) -> Self {
        self.transient = Some(t);
        self
    }

    pub(super) fn out(self) -> Out {
        let code = self.code;
        let status = self.status.unwrap_or(match code {
            1 | 2 => 500,
            10 | 200..=299 | 4 | 17 | 32 | 613 => 403,
            _ => 400,
        });
        let transient = self.transient.unwrap_or(matches!(
            (code, self.subcode.unwrap_or(0)),
            (1 | 2 | 4 | 17 | 32 | 613 | 80001 | 80002, _)
                | (-1, 2207001 | 2207032)
                | (-2, 2207003)
        ));
        let mut e = json!({
            "message": self.message,
            "type": self.kind,
            "code": code,
        });
        if let Some(s) = self.subcode {
            e["error_subcode"] = json!(s);
        }
        e["is_transient"] = json!(transient);
        if let Some(t) = self.title {
            e["error_user_title"] = json!(t);
        }
        if let Some(m) = self.user_msg {
            e["error_user_msg"] = json!(m);
        }
        e["fbtrace_id"] = json!(fbtrace());
        let mut headers = Vec::new();
        if code == 190 || code == 102 || code == 104 {
            headers.push((
                "www-authenticate",
                format!(
                    "OAuth \"Facebook Platform\" \"invalid_token\" \"{}\"",
                    e["message"].as_str().unwrap_or_default().replace('"', "'")
                ),
            ));
        }
        Box::new(Outcome {
            status,
            body: Body::Json(json!({ "error": e })),
            effects: Vec::new(),
            headers,
            drop: false,
            code: Some(code),
        })
    }
}

/// `(#100) Param NAME WHY` — an unknown, misplaced or malformed parameter.
pub(super) fn param(name: &str, why: &str) -> Out {
    meta(100, format!("(#100) Param {name} {why}"))
        .user("Invalid parameter", format!("The parameter {name} {why}."))
        .out()
}

pub(super) fn required(name: &str) -> Out {
    meta(100, format!("(#100) The parameter {name} is required")).out()
}

/// 100/33: the object does not exist for this token.
pub(super) fn missing(id: &str, verb: &str) -> Out {
    meta(
        100,
        format!(
            "Unsupported {verb} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
        ),
    )
    .sub(33)
    .kind("GraphMethodException")
    .out()
}

pub(super) fn unknown_path(path: &str) -> Out {
    meta(2500, format!("Unknown path components: {path}")).out()
}

/// The resumable upload host's error shape, which is not the Graph one.
pub(super) fn upload_error(status: u16, kind: &str, message: &str, retriable: bool) -> Out {
    Box::new(Outcome {
        status,
        body: Body::Json(json!({"debug_info": {
            "retriable": retriable,
            "type": kind,
            "message": message,
        }})),
        effects: Vec::new(),
        headers: Vec::new(),
        drop: false,
        code: None,
    })
}

/// A non-JSON error page, as an edge proxy answers.
pub(super) fn bare(status: u16) -> Out {
    Box::new(Outcome {
        status,
        body: Body::Text(
            format!("<html><body><h1>{status}</h1>The server encountered a temporary error.</body></html>"),
            "text/html; charset=utf-8",
        ),
        effects: Vec::new(),
        headers: Vec::new(),
        drop: false,
        code: None,
    })
}
