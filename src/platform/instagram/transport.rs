//! Sending a call: the token in the `Authorization` header, pacing by
//! Meta's usage headers, retries of passing failures with backoff and
//! jitter, waiting out a rate limit that lifts soon, and reading an answer
//! or the error it carries.

use super::{usage, ApiError, Client, ErrorClass, MetaError, Retry, Usage, RETRIES};
use crate::platform::meta::answer::Answer;
use serde_json::Value;
use std::time::Duration;

impl Client {
    /// Sends with the account's token: paced by the usage headers, retrying
    /// transient failures of `Safe` calls with exponential backoff and
    /// jitter, and waiting out a rate limit Meta says lifts soon.
    pub(super) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        retry: Retry,
    ) -> Result<Value, ApiError> {
        let auth = format!("Bearer {}", self.inner.token.expose());
        self.send_as(request.header("Authorization", auth), retry)
            .await
    }

    /// `send` with the `Authorization` header already on the request.
    pub(super) async fn send_as(
        &self,
        request: reqwest::RequestBuilder,
        retry: Retry,
    ) -> Result<Value, ApiError> {
        let mut attempt = 0;
        let mut blocked = 0;
        loop {
            let usage = self.usage();
            // Blocked for longer than the run may wait: every call now
            // would only extend the block, so the account stops at once.
            if let Some(regain) = usage.blocked_beyond(self.inner.max_rate_wait) {
                return Err(ApiError::Throttled {
                    percent: usage.percent,
                    regain,
                    max: self.inner.max_rate_wait,
                });
            }
            let pause = usage.pace(self.inner.retry_base);
            if !pause.is_zero() {
                tokio::time::sleep(pause.min(self.inner.max_rate_wait)).await;
            }
            let this = request.try_clone().expect("requests have in-memory bodies");
            match self.send_once(this).await {
                // A throttled call was refused before it did anything, so
                // even a publish may be sent again once the block lifts.
                Err(ApiError::Meta(m)) if m.class() == ErrorClass::RateLimited && blocked < 2 => {
                    let Some(wait) = usage::rate_limit_wait(
                        m.regain,
                        backoff(self.inner.retry_base, blocked),
                        self.inner.max_rate_wait,
                    ) else {
                        return Err(ApiError::Meta(m));
                    };
                    tokio::time::sleep(wait).await;
                    // The wait is served: do not pace by the stale figure.
                    *self.inner.usage.lock().unwrap_or_else(|e| e.into_inner()) = Usage::default();
                    blocked += 1;
                }
                Err(e)
                    if retry == Retry::Safe
                        && e.class() == ErrorClass::Transient
                        && attempt < RETRIES =>
                {
                    tokio::time::sleep(backoff(self.inner.retry_base, attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once(&self, request: reqwest::RequestBuilder) -> Result<Value, ApiError> {
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let usage = Usage::from_headers(
            header("x-app-usage").as_deref(),
            header("x-business-use-case-usage").as_deref(),
        );
        if let Some(u) = usage {
            *self.inner.usage.lock().unwrap_or_else(|e| e.into_inner()) = u;
        }
        if let Some(v) = header("facebook-api-version").filter(|v| *v != self.inner.version) {
            *self
                .inner
                .served_version
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(v);
        }
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| self.transport(&e))?;
        let value = read_answer(&self.inner.host, status, &body, usage)?;
        if status >= 400 {
            return Err(ApiError::Decode {
                host: self.inner.host.clone(),
                message: format!("HTTP {status} without an error object"),
            });
        }
        Ok(value)
    }
}

/// A transport failure of a call to `host`. reqwest's message may hold the
/// URL; ours never hold the token.
pub(super) fn transport_at(host: &str, e: &reqwest::Error) -> ApiError {
    ApiError::Transport {
        host: host.to_string(),
        message: if e.is_timeout() {
            "timed out".into()
        } else if e.is_connect() {
            "could not connect".into()
        } else {
            "connection broken".into()
        },
    }
}

/// An answer's JSON, or the error it carries: Meta's error object (with the
/// rate-limit estimate of the usage headers), a passing failure for a
/// non-JSON 5xx (a proxy's or load balancer's error page, retried like a
/// timeout), or an undecodable answer.
pub(super) fn read_answer(
    host: &str,
    status: u16,
    body: &[u8],
    usage: Option<Usage>,
) -> Result<Value, ApiError> {
    let err = match crate::platform::meta::answer::read("Graph API", status, body) {
        Answer::Json(v) => return Ok(v),
        Answer::Error(err) => err,
        Answer::Transport(message) => {
            return Err(ApiError::Transport {
                host: host.to_string(),
                message,
            })
        }
        Answer::Decode(message) => {
            return Err(ApiError::Decode {
                host: host.to_string(),
                message,
            })
        }
    };
    let mut meta: MetaError = serde_json::from_value(err).map_err(|e| ApiError::Decode {
        host: host.to_string(),
        message: format!("HTTP {status} with an error object postwright cannot read: {e}"),
    })?;
    meta.http_status = status;
    if meta.class() == ErrorClass::RateLimited {
        meta.regain = usage.and_then(|u| u.regain);
    }
    Err(ApiError::Meta(Box::new(meta)))
}

/// `base · 2^attempt` plus up to `base` of jitter (shared with Threads:
/// [`crate::platform::backoff`]).
pub(super) fn backoff(base: Duration, attempt: u32) -> Duration {
    crate::platform::backoff::backoff(base, attempt)
}
