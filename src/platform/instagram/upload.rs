//! Resumable uploads (Facebook Login): the bytes of a local video sent to
//! the upload host, and after a break how much of them it has.

use super::{read_answer, transport_at, ApiError, Client};
use serde_json::Value;

impl Client {
    /// `GET /{container-id}?fields=video_status`: bytes the upload host has.
    pub async fn uploaded_bytes(&self, container_id: &str) -> Result<u64, ApiError> {
        let v = self
            .get(container_id, vec![("fields", "video_status".into())])
            .await?;
        Ok(v.pointer("/video_status/uploading_phase/bytes_transferred")
            .and_then(|b| {
                b.as_u64()
                    .or_else(|| b.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(0))
    }

    /// Sends `bytes[offset..]` to the resumable upload host. The upload host
    /// takes the token as `OAuth`, not `Bearer`.
    pub async fn upload(
        &self,
        container_id: &str,
        bytes: Vec<u8>,
        offset: u64,
    ) -> Result<(), ApiError> {
        let total = bytes.len() as u64;
        let start = usize::try_from(offset.min(total)).unwrap_or(bytes.len());
        let body = bytes[start..].to_vec();
        let url = format!("{}/{container_id}", self.inner.upload);
        crate::failpoints::hit("upload.resumable.before")
            .map_or(Ok(()), |m| Err(self.injected(m)))?;
        let response = self
            .inner
            .http
            .post(url)
            .header(
                "Authorization",
                format!("OAuth {}", self.inner.token.expose()),
            )
            .header("offset", offset.to_string())
            .header("file_size", total.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| transport_at(&self.inner.upload, &e))?;
        let status = response.status().as_u16();
        let host = self.inner.upload.clone();
        let broken = |message: String| ApiError::Transport {
            host: host.clone(),
            message,
        };
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_at(&host, &e))?;
        let value = read_answer(&host, status, &body, None)?;
        // The upload host answers errors in a shape of its own.
        if let Some(info) = value.get("debug_info") {
            let message = info
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("upload refused")
                .to_string();
            let retriable = info.get("retriable").and_then(Value::as_bool) == Some(true);
            return Err(if retriable || status >= 500 {
                broken(format!("HTTP {status}: {message}"))
            } else {
                ApiError::Decode {
                    host,
                    message: format!("HTTP {status}: {message}"),
                }
            });
        }
        if value.get("success").and_then(Value::as_bool) != Some(true) {
            return Err(ApiError::Decode {
                host,
                message: format!("upload answered HTTP {status} without success"),
            });
        }
        crate::failpoints::hit("upload.resumable.after").map_or(Ok(()), |m| Err(self.injected(m)))
    }
}
