//! What the client reads: whom the token is for (only ever in the header),
//! the instance, statuses, every page of the scheduled ones.

use super::*;

#[tokio::test]
async fn the_token_goes_only_in_the_header() {
    let (server, c) = client().await;
    let me = c.verify_credentials().await.unwrap();
    assert_eq!((me.id.as_str(), me.username.as_str()), ("42", "alice"));
    let app = c.verify_app().await.unwrap();
    assert_eq!(
        app.scopes.unwrap(),
        ["write:statuses", "write:media"].map(String::from)
    );
    let limits = c.instance().await.unwrap();
    assert_eq!(limits.limits.max_characters, 500);
    assert!(!format!("{c:?}").contains(TOKEN));
    server.lock().unwrap().not_mastodon = true;
    let e = c.instance().await.unwrap_err();
    assert!(matches!(e, MastodonError::NotMastodon { .. }), "{e}");
    assert!(e.to_string().contains("HTTP 404"), "{e}");
    {
        let s = server.lock().unwrap();
        assert_eq!(s.seen[0].2, format!("Bearer {TOKEN}"));
        for (_, uri, _, _, body) in &s.seen {
            assert!(!uri.contains(TOKEN) && !body.contains(TOKEN), "{uri}");
        }
    }
    let (_, url) = serve().await;
    let bad = Client::new(&url, Token::new("wrong"), options()).unwrap();
    let e = bad.verify_credentials().await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Auth);
    assert!(!e.to_string().contains("wrong") && !e.explain().contains("wrong"));
}

#[tokio::test]
async fn statuses_are_found_read_and_deleted() {
    let (_, c) = client().await;
    let Posted::Status(s) = c.post_once("k1", &text("find me")).await.unwrap().posted else {
        panic!("a status");
    };
    let recent = c.account_statuses("42", 20).await.unwrap();
    assert_eq!(recent[0].id, s.id);
    assert_eq!(recent[0].content, "<p>find me</p>");
    assert_eq!(
        recent[0].created_at.unwrap().to_string(),
        "2026-12-07T11:00:00Z"
    );
    assert_eq!(c.get_status(&s.id).await.unwrap().unwrap().id, s.id);
    assert!(c.delete_status(&s.id).await.unwrap());
    assert_eq!(c.get_status(&s.id).await.unwrap(), None);
    assert!(!c.delete_status(&s.id).await.unwrap());
    assert!(c.get_status("../admin").await.is_err());
}

#[tokio::test]
async fn every_page_of_scheduled_statuses_is_read() {
    let (server, c) = client().await;
    {
        let mut s = server.lock().unwrap();
        for n in 1..=45 {
            s.scheduled.push(json!({"id": format!("{}", 500 + n),
                "scheduled_at": "2026-12-08T09:00:00.000Z", "params": {"text": format!("n{n}")}}));
        }
    }
    let all = c.scheduled_statuses().await.unwrap();
    assert_eq!(all.len(), 45);
    assert_eq!(all[0].id, "545");
    assert_eq!(all[44].id, "501");
    let s = server.lock().unwrap();
    let pages: Vec<_> = s
        .seen
        .iter()
        .filter(|r| r.1.starts_with("/api/v1/scheduled_statuses"))
        .map(|r| r.1.clone())
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[1].contains("max_id=506"), "{pages:?}");
}
