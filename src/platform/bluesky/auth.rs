//! `auth inspect` for Bluesky accounts: the app password signs in (one
//! `createSession`, then `getSession`), the session is the configured
//! handle's, and the handle resolves to the session's DID
//! (docs/bluesky.md, "Session"). The app password is never printed: only
//! the variable that holds it.

use super::{BlueskyError, Settings};
use crate::auth::{blank, Inspection};
use crate::config::{Account, Config};
use crate::platform::ErrorClass;

pub(super) async fn inspect(
    config: &Config,
    name: &str,
    account: &Account,
) -> Result<Inspection, BlueskyError> {
    let settings = Settings::of(account);
    let mut out = blank(name, account);
    // App passwords do not expire; they are revoked in Bluesky's settings.
    out.never_expires = true;
    let var = account.token_env().to_string();
    let client = match super::publisher::client_for(config, name, account) {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(e.to_string());
            return Ok(out);
        }
    };
    let who = match client.get_session().await {
        Ok(who) => who,
        Err(e) if e.class().stops_account() && e.class() != ErrorClass::RateLimited => {
            out.errors.push(format!(
                "the app password in {var} does not sign in as {}: {}",
                settings.handle,
                e.explain()
            ));
            return Ok(out);
        }
        Err(e) => return Err(e),
    };
    if !who.handle.eq_ignore_ascii_case(&settings.handle) {
        out.warnings.push(format!(
            "{var} signs in as {} ({}), not {} as postwright.toml says: posts go to {}",
            who.handle, who.did, settings.handle, who.handle
        ));
    }
    match client.resolve_handle(&settings.handle).await? {
        Some(did) if did == who.did => {}
        Some(did) => out.errors.push(format!(
            "the handle {} resolves to {did}, not to the signed-in account {}",
            settings.handle, who.did
        )),
        None => out.warnings.push(format!(
            "the handle {} does not resolve (its DNS record or /.well-known/atproto-did): mentions of it will not work; check the handle in Bluesky's settings",
            settings.handle
        )),
    }
    out.user_id = Some(who.did);
    out.username = Some(who.handle);
    out.notes.push(format!(
        "an app password does not expire; revoke it or make a new one in Bluesky's settings (Privacy and security → App passwords), then update {var}"
    ));
    Ok(out)
}
