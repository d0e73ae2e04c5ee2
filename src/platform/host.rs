//! The server address an account names (Bluesky's `pds`, Mastodon's
//! `instance`): checked when the config loads.

/// https, or http only to this machine (a server run for tests or
/// development): `credential` (what the account sends, for the message)
/// must not cross a network in clear.
pub fn check_server_url(address: &str, credential: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(address).map_err(|_| "is not a URL".to_string())?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err("must be a plain address, without a query, fragment or user".into());
    }
    match (url.scheme(), url.host_str()) {
        (_, None) => Err("has no host".into()),
        ("https", Some(_)) => Ok(()),
        ("http", Some("localhost" | "127.0.0.1" | "[::1]")) => Ok(()),
        ("http", Some(_)) => Err(format!(
            "is http: {credential} would travel unencrypted (http is only for localhost)"
        )),
        _ => Err("is not an https URL".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::check_server_url;

    #[test]
    fn https_anywhere_and_http_only_to_this_machine() {
        assert_eq!(
            check_server_url("https://bsky.social", "the app password"),
            Ok(())
        );
        assert_eq!(
            check_server_url("http://127.0.0.1:2583", "the token"),
            Ok(())
        );
        assert_eq!(
            check_server_url("http://localhost:3000", "the token"),
            Ok(())
        );
        let http = check_server_url("http://mastodon.example", "the access token").unwrap_err();
        assert!(
            http.contains("the access token would travel unencrypted"),
            "{http}"
        );
        for bad in [
            "https://x.example/?q=1",
            "https://me@x.example",
            "ftp://x.example",
            "x",
        ] {
            assert!(check_server_url(bad, "it").is_err(), "{bad}");
        }
    }
}
