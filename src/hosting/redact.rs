//! Signatures out of messages. A presigned URL is a credential until it
//! expires, and Meta quotes the media URL in its errors ("The media could
//! not be fetched from this URI: …", 9004/2207052): every text from a
//! platform or a store goes through [`urls`] before it is printed or kept
//! in the state.

/// Query parameters that carry a signature or a credential: SigV4 and V2
/// presigned S3 URLs, GCS V4 and V2 signed URLs, Azure SAS, and tokens.
fn secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("x-amz-")
        || n.starts_with("x-goog-")
        || matches!(
            n.as_str(),
            "sig"
                | "signature"
                | "se"
                | "sp"
                | "sv"
                | "skoid"
                | "sktid"
                | "awsaccesskeyid"
                | "googleaccessid"
                | "access_token"
                | "token"
                | "key"
        )
}

/// `text` with the query of every http(s) URL whose query carries a
/// signature or a credential replaced by `?<redacted>`; the rest of the
/// URL (host, path: the object's key) stays, so the message still says
/// which file.
pub fn urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = next_url(rest) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .unwrap_or(tail.len());
        // A sentence's punctuation after the URL is not part of it.
        let url = tail[..end].trim_end_matches(['.', ',', ';', ')', ']']);
        match url.split_once('?') {
            Some((base, query)) if signed(query) => {
                out.push_str(base);
                out.push_str("?<redacted>");
            }
            _ => out.push_str(url),
        }
        rest = &tail[url.len()..];
    }
    out.push_str(rest);
    out
}

fn next_url(text: &str) -> Option<usize> {
    let http = text.find("http://");
    let https = text.find("https://");
    match (http, https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn signed(query: &str) -> bool {
    let query = query.split('#').next().unwrap_or(query);
    query
        .split('&')
        .map(|pair| pair.split('=').next().unwrap_or(pair))
        .any(secret_param)
}

#[cfg(test)]
mod tests {
    use super::urls;

    #[test]
    fn signatures_go_keys_stay() {
        let s3 = "https://s3.example.com/b/media/ab.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261207&X-Amz-Signature=deadbeef";
        let said = format!("The media could not be fetched from this URI: {s3} (image_url: Status(403)). Please check.");
        let out = urls(&said);
        assert_eq!(out, "The media could not be fetched from this URI: https://s3.example.com/b/media/ab.jpg?<redacted> (image_url: Status(403)). Please check.");
        for url in [
            "https://acct.blob.core.windows.net/c/k.mp4?sv=2021-08-06&se=2026-12-08&sp=r&sig=abc%3D",
            "https://storage.googleapis.com/b/k.jpg?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=99",
            "http://127.0.0.1:9/b/k.jpg?AWSAccessKeyId=AKIA&Expires=1&Signature=zz",
            "https://graph.facebook.com/v24.0/1/media?access_token=EAAB&after=x",
        ] {
            let out = urls(&format!("at {url}."));
            assert!(out.ends_with("?<redacted>."), "{out}");
            assert!(!out.contains("sig=") && !out.contains("Signature"), "{out}");
        }
        // Queries without a secret, and text without URLs, are kept.
        let plain = "https://cdn.example.com/m/a.jpg?v=abc123 and http://x/y";
        assert_eq!(urls(plain), plain);
        assert_eq!(urls("no url here"), "no url here");
        assert_eq!(
            urls("ünïcode https://x/a?sig=1"),
            "ünïcode https://x/a?<redacted>"
        );
    }
}
