//! One post file, four platforms, one apply of the real binary: Instagram
//! and Threads on their test servers, Bluesky on the reference PDS,
//! Mastodon on the test Mastodon server. Skipped (with a message) when the
//! PDS is not installed, unless POSTWRIGHT_REQUIRE_TOOLS=1.

use crate::apply_e2e::{apply_with, TOKEN};
use crate::bluesky_e2e::{run_in, yaml, Accounts, PASSWORD_ENV};
use crate::mastodon::{MastodonConfig, MastodonServer, TOKEN as MASTO_TOKEN};
use crate::threads_e2e::{Both, THREADS_TOKEN};
use serde_json::{json, Value};
use std::fs;

const MASTO_VAR: &str = "KILN_MASTO_TOKEN";

#[test]
fn one_post_file_reaches_instagram_threads_bluesky_and_mastodon_in_one_apply() {
    let Some(acc) = Accounts::new() else { return };
    let masto = MastodonServer::start_blocking(MastodonConfig::default());
    let site = Both::new("");
    for entry in fs::read_dir(site.path().join("posts")).unwrap() {
        fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let config = site.path().join("postwright.toml");
    let mut toml = fs::read_to_string(&config).unwrap();
    toml.push_str(&acc.toml("kiln-sky"));
    toml.push_str(&format!(
        "\n[accounts.kiln-masto]\nplatform = \"mastodon\"\ninstance = \"{}\"\ntoken_env = \"{MASTO_VAR}\"\n",
        masto.url()
    ));
    fs::write(&config, toml).unwrap();
    let caption = "The Harbour mug ☕ is back: https://kiln.example/harbour #ceramics";
    let threads_caption = "Harbour mug, back today. Which glaze next?";
    let masto_caption = "The Harbour mug is back in the shop 🍵 #ceramics";
    fs::write(
        site.path().join("posts/1-all.yaml"),
        format!(
            "accounts: [kiln, kiln-threads, kiln-sky, kiln-masto]\npublish_at: 2026-12-01 10:00\ncaption: {}\nmedia:\n  - src: ../media/portrait.jpg\n    alt_text: A speckled blue mug on an oak desk\nthreads:\n  caption: {}\nmastodon:\n  caption: {}\n",
            yaml(caption),
            yaml(threads_caption),
            yaml(masto_caption)
        ),
    )
    .unwrap();
    let envs = [
        ("KILN_TOKEN", TOKEN),
        ("KILN_THREADS_TOKEN", THREADS_TOKEN),
        (PASSWORD_ENV, acc.password.as_str()),
        (MASTO_VAR, MASTO_TOKEN),
    ];
    let (code, report, out) = apply_with(&[], |args| run_in(site.path(), &envs, args));
    assert_eq!(code, 0, "{}\n{report:#}", out.stderr);

    // Exactly one post on each server, each with its own text.
    let ig = site.graph.published();
    assert_eq!(ig.len(), 1, "{report:#}");
    assert_eq!(ig[0].caption.as_deref(), Some(caption));
    let threads = site.threads.published();
    assert_eq!(threads.len(), 1, "{report:#}");
    assert_eq!(threads[0].text.as_deref(), Some(threads_caption));
    let records = acc.records();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["value"]["text"], caption);
    assert_eq!(
        records[0]["value"]["embed"]["images"][0]["alt"],
        "A speckled blue mug on an oak desk"
    );
    let statuses = masto.live_statuses();
    assert_eq!(statuses.len(), 1, "{report:#}");
    assert_eq!(statuses[0].text, masto_caption);
    assert_eq!(statuses[0].media_ids.len(), 1, "{statuses:#?}");

    // The state records all four targets, each with its platform's id.
    let state: Value = serde_json::from_str(
        &fs::read_to_string(site.path().join(".postwright/state.json")).unwrap(),
    )
    .unwrap();
    let post = &state["posts"]["1-all"];
    let ids = [
        ("kiln", ig[0].id.clone()),
        ("kiln-threads", threads[0].id.clone()),
        ("kiln-sky", records[0]["uri"].as_str().unwrap().to_string()),
        ("kiln-masto", statuses[0].id.clone()),
    ];
    for (account, id) in &ids {
        assert_eq!(post[account]["status"], "published", "{account}: {state:#}");
        assert_eq!(
            post[account]["media_id"],
            id.as_str(),
            "{account}: {state:#}"
        );
    }

    // A second apply publishes nothing anywhere.
    let (code, report, out) = apply_with(&[], |args| run_in(site.path(), &envs, args));
    assert_eq!(code, 0, "{}", out.stderr);
    assert_eq!(report["summary"], json!({}), "{report:#}");
    assert_eq!(site.graph.published().len(), 1);
    assert_eq!(site.threads.published().len(), 1);
    assert_eq!(acc.records().len(), 1);
    assert_eq!(masto.live_statuses().len(), 1);
    assert_eq!(masto.calls_to("POST /api/v1/statuses").len(), 1);
}
