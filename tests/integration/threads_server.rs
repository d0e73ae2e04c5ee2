//! The Threads test server's own behaviour (tests/integration/threads),
//! checked with plain HTTP calls, then postwright's Threads client and
//! `auth` commands against it.

use crate::common::postwright;
use crate::threads::{Fault, ThreadsConfig, ThreadsServer};
use postwright::config::Config;
use postwright::platform::threads::{Client, Threads};
use postwright::platform::Secret;
use postwright::platform::{ContainerState, ErrorClass, Feed, Publisher};
use serde_json::Value;
use std::time::Duration;

const TOKEN: &str = "THtest-token";

struct Api {
    server: ThreadsServer,
    http: reqwest::Client,
}

impl Api {
    async fn new(cfg: ThreadsConfig) -> Api {
        Api {
            server: ThreadsServer::start(cfg).await,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1.0/{path}", self.server.url())
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let r = req.send().await.expect("answer");
        let status = r.status().as_u16();
        let body = r.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        self.call(
            self.http
                .get(self.url(path))
                .bearer_auth(TOKEN)
                .query(query),
        )
        .await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        self.call(self.http.post(self.url(path)).bearer_auth(TOKEN).form(form))
            .await
    }

    async fn container(&self, form: &[(&str, &str)]) -> String {
        let uid = self.server.user_id();
        let (s, v) = self.post(&format!("{uid}/threads"), form).await;
        assert_eq!(s, 200, "{v}");
        v["id"].as_str().expect("id").to_string()
    }

    async fn publish(&self, id: &str) -> (u16, Value) {
        let uid = self.server.user_id();
        self.post(&format!("{uid}/threads_publish"), &[("creation_id", id)])
            .await
    }

    async fn carousel(&self, children: &str) -> (u16, Value) {
        let uid = self.server.user_id();
        self.post(
            &format!("{uid}/threads"),
            &[
                ("media_type", "CAROUSEL"),
                ("children", children),
                ("text", "kiln"),
            ],
        )
        .await
    }

    async fn text(&self, text: &str) -> (u16, Value) {
        let uid = self.server.user_id();
        self.post(
            &format!("{uid}/threads"),
            &[("media_type", "TEXT"), ("text", text)],
        )
        .await
    }

    async fn status(&self, id: &str) -> Value {
        self.get(id, &[("fields", "status,error_message")]).await.1
    }
}

fn code(v: &Value) -> Option<i64> {
    v.pointer("/error/code").and_then(Value::as_i64)
}

#[tokio::test]
async fn threads_text_post_goes_from_container_to_published_once() {
    let api = Api::new(ThreadsConfig::default()).await;
    let id = api
        .container(&[("media_type", "TEXT"), ("text", "hello from the kiln")])
        .await;
    assert_eq!(api.status(&id).await["status"], "FINISHED");
    let (s, v) = api.publish(&id).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(api.status(&id).await["status"], "PUBLISHED");
    let (s, again) = api.publish(&id).await;
    assert_eq!((s, code(&again)), (400, Some(24)), "{again}");
    assert_eq!(api.server.published().len(), 1);
    let uid = api.server.user_id();
    let (_, list) = api
        .get(
            &format!("{uid}/threads"),
            &[("fields", "id,text,media_type")],
        )
        .await;
    assert_eq!(list["data"][0]["media_type"], "TEXT_POST");
    assert_eq!(list["data"][0]["text"], "hello from the kiln");
}

#[tokio::test]
async fn threads_video_processes_before_it_can_be_published_and_expires_after_a_day() {
    let api = Api::new(ThreadsConfig {
        video_processing: Duration::from_secs(30),
        ..ThreadsConfig::default()
    })
    .await;
    let id = api
        .container(&[
            ("media_type", "VIDEO"),
            ("video_url", "https://cdn.example/v.mp4"),
        ])
        .await;
    assert_eq!(api.status(&id).await["status"], "IN_PROGRESS");
    let (s, v) = api.publish(&id).await;
    assert_eq!((s, code(&v)), (400, Some(9007)), "{v}");
    api.server.advance(Duration::from_secs(31));
    assert_eq!(api.status(&id).await["status"], "FINISHED");
    api.server.advance(Duration::from_secs(24 * 3600));
    assert_eq!(api.status(&id).await["status"], "EXPIRED");
    assert_eq!(api.publish(&id).await.0, 400);
    assert!(api.server.published().is_empty());
}

#[tokio::test]
async fn threads_processing_failure_leaves_an_error_message() {
    let api = Api::new(ThreadsConfig::default()).await;
    api.server.inject(Fault::ProcessingFails {
        error_message: "INVALID_ASPEC_RATIO".into(),
    });
    let id = api
        .container(&[
            ("media_type", "VIDEO"),
            ("video_url", "https://cdn.example/v.mp4"),
        ])
        .await;
    api.server.advance(Duration::from_secs(5));
    let st = api.status(&id).await;
    assert_eq!(st["status"], "ERROR");
    assert_eq!(st["error_message"], "INVALID_ASPEC_RATIO");
    assert_eq!(api.publish(&id).await.0, 400);
}

#[tokio::test]
async fn threads_carousel_children_are_checked() {
    let api = Api::new(ThreadsConfig::default()).await;
    let item = || {
        [
            ("media_type", "IMAGE"),
            ("image_url", "https://cdn.example/a.jpg"),
            ("is_carousel_item", "true"),
        ]
    };
    let a = api.container(&item()).await;
    let b = api.container(&item()).await;
    let single = api
        .container(&[
            ("media_type", "IMAGE"),
            ("image_url", "https://cdn.example/a.jpg"),
        ])
        .await;
    let (s, v) = api.carousel(&a).await;
    assert_eq!((s, code(&v)), (400, Some(100)), "one child: {v}");
    let (s, v) = api.carousel(&format!("{a},{single}")).await;
    assert_eq!(s, 400, "not a carousel item: {v}");
    let (s, v) = api.carousel(&format!("{a},999")).await;
    assert_eq!(s, 400, "unknown child: {v}");
    let mut many = Vec::new();
    for _ in 0..21 {
        many.push(api.container(&item()).await);
    }
    assert_eq!(api.carousel(&many.join(",")).await.0, 400, "21 children");
    assert_eq!(
        api.carousel(&many[..20].join(",")).await.0,
        200,
        "20 children"
    );
    let (s, v) = api.carousel(&format!("{a},{b}")).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = api.publish(v["id"].as_str().unwrap()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(api.server.published()[0].media_type, "CAROUSEL_ALBUM");
}

#[tokio::test]
async fn threads_text_limit_counts_emoji_by_their_bytes_and_links_are_limited() {
    let api = Api::new(ThreadsConfig::default()).await;
    assert_eq!(api.text(&"a".repeat(500)).await.0, 200);
    assert_eq!(api.text(&"a".repeat(501)).await.0, 400);
    // 496 letters + one 4-byte emoji = 500: fine; two emoji = 504: too long.
    assert_eq!(api.text(&format!("{}🔥", "a".repeat(496))).await.0, 200);
    let (s, v) = api.text(&format!("{}🔥🔥", "a".repeat(496))).await;
    assert_eq!((s, code(&v)), (400, Some(100)), "{v}");
    let links = |n: usize| {
        (0..n)
            .map(|i| format!("https://e{i}.example"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(api.text(&links(5)).await.0, 200);
    let (s, v) = api.text(&links(6)).await;
    assert_eq!(s, 400);
    assert!(
        v.to_string().contains("THREADS_API__LINK_LIMIT_EXCEEDED"),
        "{v}"
    );
    let same = "https://a.example https://a.example https://a.example https://a.example https://a.example https://a.example";
    assert_eq!(api.text(same).await.0, 200, "one unique link");
}

#[tokio::test]
async fn threads_publishing_quota_is_enforced_at_publish() {
    let api = Api::new(ThreadsConfig::default()).await;
    let uid = api.server.user_id();
    api.server.set_quota_usage(249);
    let (_, q) = api
        .get(
            &format!("{uid}/threads_publishing_limit"),
            &[("fields", "quota_usage,config")],
        )
        .await;
    assert_eq!(q["data"][0]["quota_usage"], 249);
    assert_eq!(q["data"][0]["config"]["quota_total"], 250);
    let a = api
        .container(&[("media_type", "TEXT"), ("text", "one")])
        .await;
    assert_eq!(api.publish(&a).await.0, 200);
    let b = api
        .container(&[("media_type", "TEXT"), ("text", "two")])
        .await;
    let (s, v) = api.publish(&b).await;
    assert_eq!((s, code(&v)), (400, Some(9)), "{v}");
    api.server.set_quota_usage(0);
    api.server.advance(Duration::from_secs(86_401));
    let c = api
        .container(&[("media_type", "TEXT"), ("text", "three")])
        .await;
    assert_eq!(api.publish(&c).await.0, 200, "the window moved on");
}

#[tokio::test]
async fn threads_tokens_go_in_the_header_and_expire() {
    let api = Api::new(ThreadsConfig::default()).await;
    let url = api.url("me");
    let (s, v) = api.call(api.http.get(&url)).await;
    assert_eq!((s, code(&v)), (400, Some(190)), "no token: {v}");
    let (s, v) = api.call(api.http.get(&url).bearer_auth("wrong")).await;
    assert_eq!((s, code(&v)), (400, Some(190)), "wrong token: {v}");
    let (s, _) = api
        .call(api.http.get(&url).query(&[("access_token", TOKEN)]))
        .await;
    assert_eq!(s, 400, "a token in the URL is refused");
    let calls = api.server.calls();
    assert!(calls.iter().all(|c| !c.params.contains_key("access_token")));
    assert!(calls.last().unwrap().token_in_params);
    let (s, me) = api.get("me", &[("fields", "id,username")]).await;
    assert_eq!(
        (s, me["id"].as_str()),
        (200, Some(api.server.user_id().as_str()))
    );
    api.server.expire_tokens();
    assert_eq!(code(&api.get("me", &[]).await.1), Some(190));
}

#[tokio::test]
async fn threads_refresh_wants_a_token_a_day_old() {
    let api = Api::new(ThreadsConfig::default()).await;
    let refresh = format!("{}/refresh_access_token", api.server.url());
    let ask = || {
        api.http
            .get(&refresh)
            .bearer_auth(TOKEN)
            .query(&[("grant_type", "th_refresh_token")])
    };
    api.server.set_token_age(Duration::from_secs(3600));
    let (s, v) = api.call(ask()).await;
    assert_eq!(s, 400, "an hour old: {v}");
    api.server.set_token_age(Duration::from_secs(25 * 3600));
    let (s, v) = api.call(ask()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["expires_in"], 60 * 86_400);
    let new = v["access_token"].as_str().unwrap().to_string();
    assert_ne!(new, TOKEN);
    let (s, _) = api
        .call(api.http.get(api.url("me")).bearer_auth(&new))
        .await;
    assert_eq!(s, 200, "the new token works");
}

#[tokio::test]
async fn threads_faults_fire_once() {
    let api = Api::new(ThreadsConfig::default()).await;
    api.server.inject(Fault::Http500 {
        path_contains: "GET /v1.0/me".into(),
    });
    assert_eq!(api.get("me", &[]).await.0, 500);
    assert_eq!(api.get("me", &[]).await.0, 200);
    let id = api
        .container(&[("media_type", "TEXT"), ("text", "lost")])
        .await;
    api.server.inject(Fault::LostAnswer {
        path_contains: "threads_publish".into(),
    });
    assert_eq!(api.publish(&id).await.0, 500);
    assert_eq!(
        api.status(&id).await["status"],
        "PUBLISHED",
        "it went through"
    );
    assert_eq!(api.server.published().len(), 1);
}

// postwright's Threads client against the server.

fn config(server: &ThreadsServer) -> (Config, postwright::config::Account) {
    let text = format!(
        "content = [\"posts\"]\n[accounts.studio]\nplatform = \"threads\"\nuser_id = \"{}\"\n[api]\nthreads_url = \"{}\"\nretry_base_ms = 5\n",
        server.user_id(),
        server.url()
    );
    let config = Config::parse(&text, "postwright.toml").expect("config");
    let account = config.accounts["studio"].clone();
    (config, account)
}

fn publisher(server: &ThreadsServer) -> Threads {
    let (config, account) = config(server);
    Threads::new(Client::new(&config, "studio", &account, Secret::new(TOKEN)))
}

#[tokio::test]
async fn threads_client_publishes_reads_and_deletes() {
    let server = ThreadsServer::start(ThreadsConfig::default()).await;
    let p = publisher(&server);
    p.check_token().await.expect("token works");
    let q = p.quota().await.unwrap();
    assert_eq!((q.used, q.total), (0, 250));
    let c = p
        .client()
        .create_container(vec![
            ("media_type", "TEXT".into()),
            ("text", "hello".into()),
        ])
        .await
        .unwrap();
    assert_eq!(p.status(&c).await.unwrap().state, ContainerState::Finished);
    let media = p.publish(&c).await.unwrap();
    assert_eq!(p.status(&c).await.unwrap().state, ContainerState::Published);
    let live = p.find_live(Feed::Posts, 10).await.unwrap();
    assert_eq!(live[0].id, media);
    assert_eq!(live[0].kinds, [postwright::content::PostType::Text]);
    assert!(p.find_live(Feed::Stories, 10).await.unwrap().is_empty());
    assert_eq!(
        p.read(&media).await.unwrap().caption.as_deref(),
        Some("hello")
    );
    p.delete(&media).await.unwrap();
    p.delete(&media).await.expect("gone counts as deleted");
    assert!(p.capabilities().comments.is_some());
    assert!(!p.capabilities().resumable_upload);
    for call in server.calls() {
        assert!(call.bearer && !call.token_in_params, "{call:?}");
    }
}

#[tokio::test]
async fn threads_client_retries_reads_but_never_a_publish() {
    let server = ThreadsServer::start(ThreadsConfig::default()).await;
    let p = publisher(&server);
    server.inject(Fault::Http500 {
        path_contains: "threads_publishing_limit".into(),
    });
    p.quota().await.expect("retried");
    let c = p
        .client()
        .create_container(vec![("media_type", "TEXT".into()), ("text", "x".into())])
        .await
        .unwrap();
    server.inject(Fault::LostAnswer {
        path_contains: "threads_publish".into(),
    });
    let e = p.publish(&c).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Transient);
    let publishes = server
        .calls()
        .iter()
        .filter(|c| c.path.ends_with("threads_publish"))
        .count();
    assert_eq!(publishes, 1, "never repeated");
    assert_eq!(p.status(&c).await.unwrap().state, ContainerState::Published);
    server.set_quota_total(1);
    let d = p
        .client()
        .create_container(vec![("media_type", "TEXT".into()), ("text", "y".into())])
        .await
        .unwrap();
    assert_eq!(
        p.publish(&d).await.unwrap_err().class(),
        ErrorClass::QuotaReached
    );
}

#[test]
fn threads_auth_inspect_and_refresh_work_for_a_threads_account() {
    let server = ThreadsServer::start_blocking(ThreadsConfig::default());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("postwright.toml"),
        format!(
            "content = [\"posts\"]\n[accounts.studio]\nplatform = \"threads\"\nuser_id = \"{}\"\n[api]\nthreads_url = \"{}\"\nretry_base_ms = 5\n",
            server.user_id(),
            server.url()
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("posts")).unwrap();
    let out = postwright(dir.path())
        .args(["auth", "inspect", "--format", "json"])
        .env("THREADS_ACCESS_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let a = &v["accounts"][0];
    assert_eq!(a["platform"], "threads");
    assert_eq!(a["user_id"], server.user_id());
    assert_eq!(a["username"], "studio");
    assert!(a["expires_at"].is_string(), "{a}");
    assert!(!stdout.contains(TOKEN));
    let out = postwright(dir.path())
        .args(["auth", "refresh", "--account", "studio"])
        .env("THREADS_ACCESS_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(new.starts_with("THrefreshed-"), "{new}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("THREADS_ACCESS_TOKEN"));
    // A wrong token is a finding, and the verdict fails.
    let out = postwright(dir.path())
        .args(["auth", "inspect"])
        .env("THREADS_ACCESS_TOKEN", "wrong")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Threads") && text.contains("does not work"),
        "{text}"
    );
    assert!(server.calls().iter().all(|c| !c.token_in_params));
}
