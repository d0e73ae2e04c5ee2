//! `auth inspect` for Mastodon accounts: who the token is
//! (`verify_credentials`), the scopes its application has, and the
//! server's version (docs/mastodon.md). The token is never printed: only
//! the variable that holds it. Mastodon tokens do not expire.

use super::{Client, MastodonError, Settings};
use crate::auth::{blank, Inspection};
use crate::config::Account;
use crate::platform::ErrorClass;

/// The scopes publishing needs.
const NEEDED: [&str; 2] = ["write:statuses", "write:media"];

pub(super) async fn inspect(name: &str, account: &Account) -> Result<Inspection, MastodonError> {
    let settings = Settings::of(account);
    let mut out = blank(name, account);
    // A token lives until it is revoked in the server's settings.
    out.never_expires = true;
    let var = account.token_env().to_string();
    let client = match Client::from_env(&settings.instance, &var, name, Default::default()) {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(e.to_string());
            return Ok(out);
        }
    };
    let who = match client.verify_credentials().await {
        Ok(who) => who,
        Err(e) if e.class().stops_account() && e.class() != ErrorClass::RateLimited => {
            out.errors.push(format!(
                "the token in {var} is not accepted by {}: {}",
                client.host(),
                e.explain()
            ));
            return Ok(out);
        }
        Err(e) => {
            // A server that is not Mastodon answers this call with
            // something else: say that, not its HTTP status.
            if let Err(not @ MastodonError::NotMastodon { .. }) = client.instance().await {
                out.errors.push(not.to_string());
                return Ok(out);
            }
            return Err(e);
        }
    };
    out.user_id = Some(who.id);
    out.username = Some(format!("{}@{}", who.acct, client.host()));
    // The application's scopes bound the token's (Mastodon 4.3 and later
    // say them); a token granted fewer shows only when a call is refused.
    match client.verify_app().await {
        Ok(app) => match app.scopes {
            Some(scopes) => {
                // `write` grants every write:… scope.
                let has = |s: &str| scopes.iter().any(|g| g == s || g == "write");
                for need in NEEDED.iter().filter(|n| !has(n)) {
                    out.errors.push(format!(
                        "the token's application lacks the scope {need}: create a token with write:statuses write:media and export it in {var}"
                    ));
                }
                out.scopes = Some(scopes);
            }
            None => out.notes.push(
                "the server does not say the application's scopes (Mastodon before 4.3): publishing needs write:statuses write:media".into(),
            ),
        },
        Err(e) => out
            .notes
            .push(format!("the application's scopes could not be read: {}", e.explain())),
    }
    match client.instance().await {
        Ok(instance) => out.notes.push(format!(
            "{} runs {}",
            instance.domain,
            instance.version.as_deref().unwrap_or("an unstated version")
        )),
        Err(e) => out.warnings.push(e.explain()),
    }
    out.notes.push(format!(
        "a Mastodon token does not expire; revoke it or make a new one in the server's settings (Development), then update {var}"
    ));
    Ok(out)
}
