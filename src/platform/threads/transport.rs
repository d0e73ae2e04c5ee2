//! Sending a Threads call: the token in the `Authorization` header,
//! retries of passing failures with backoff and jitter (as Instagram's
//! transport, [`crate::platform::backoff`]), and reading an answer or the
//! error it carries. Meta documents no usage headers for Threads
//! (docs/threads.md, "Hosts and calls"), so there is no pacing by them: a
//! rate-limit error stops the account's calls.

use super::{Client, Retry, ThreadsError, RETRIES};
use crate::platform::meta::answer::Answer;
use crate::platform::meta::MetaError;
use crate::platform::ErrorClass;
use serde_json::Value;

impl Client {
    /// Sends with the account's token, retrying transient failures of
    /// `Safe` calls.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        retry: Retry,
    ) -> Result<Value, ThreadsError> {
        let auth = format!("Bearer {}", self.inner.token.expose());
        let request = request.header("Authorization", auth);
        let mut attempt = 0;
        loop {
            let this = request.try_clone().expect("requests have in-memory bodies");
            match self.send_once(this).await {
                Err(e)
                    if retry == Retry::Safe
                        && e.class() == ErrorClass::Transient
                        && attempt < RETRIES =>
                {
                    tokio::time::sleep(crate::platform::backoff::backoff(
                        self.inner.retry_base,
                        attempt,
                    ))
                    .await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once(&self, request: reqwest::RequestBuilder) -> Result<Value, ThreadsError> {
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| self.transport(&e))?;
        read_answer(&self.inner.host, status, &body)
    }

    /// reqwest's own message may hold the URL; ours hold only the host.
    fn transport(&self, e: &reqwest::Error) -> ThreadsError {
        ThreadsError::Transport {
            host: self.inner.host.clone(),
            message: if e.is_timeout() {
                "timed out".into()
            } else if e.is_connect() {
                "could not connect".into()
            } else {
                "connection broken".into()
            },
        }
    }
}

/// An answer's JSON, or its error: Meta's error object, a passing failure
/// for a non-JSON 5xx (a proxy's error page), or an undecodable answer.
pub(crate) fn read_answer(host: &str, status: u16, body: &[u8]) -> Result<Value, ThreadsError> {
    let err = match crate::platform::meta::answer::read("Threads API", status, body) {
        Answer::Json(_) if status >= 400 => {
            return Err(ThreadsError::Decode {
                host: host.to_string(),
                message: format!("HTTP {status} without an error object"),
            })
        }
        Answer::Json(v) => return Ok(v),
        Answer::Error(err) => err,
        Answer::Transport(message) => {
            return Err(ThreadsError::Transport {
                host: host.to_string(),
                message,
            })
        }
        Answer::Decode(message) => {
            return Err(ThreadsError::Decode {
                host: host.to_string(),
                message,
            })
        }
    };
    let mut meta: MetaError = serde_json::from_value(err).map_err(|e| ThreadsError::Decode {
        host: host.to_string(),
        message: format!("HTTP {status} with an error object postwright cannot read: {e}"),
    })?;
    meta.http_status = status;
    Err(ThreadsError::Meta(Box::new(meta)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_errors_are_read() {
        let ok = read_answer("h", 200, br#"{"id":"1"}"#).unwrap();
        assert_eq!(ok["id"], "1");
        let e = read_answer(
            "h",
            400,
            br#"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}"#,
        )
        .unwrap_err();
        assert_eq!(e.class(), ErrorClass::Auth);
        let e = read_answer("h", 502, b"<html>bad gateway</html>").unwrap_err();
        assert_eq!(e.class(), ErrorClass::Transient);
        let e = read_answer("h", 404, b"nope").unwrap_err();
        assert_eq!(e.class(), ErrorClass::Other);
    }
}
