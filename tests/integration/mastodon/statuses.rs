//! Statuses and scheduled statuses, in the order
//! app/services/post_status_service.rb checks them: idempotency, media,
//! `scheduled_at` (less than 5 minutes ahead is dropped: the status is
//! posted at once, as Mastodon does, not refused), then the model's
//! validations (text length, scheduled limits).

use super::api::{account_json, input, invalid, iso, media_json, not_found, Answer, Req};
use super::api::{Input, Result};
use super::params;
use super::text::{countable_length, validate_poll};
use super::{Media, Scheduled, SeedStatus, State, Status};
use serde_json::{json, Value};

const HOUR_MS: i64 = 3_600_000;
const MIN_SCHEDULE_MS: i64 = 5 * 60_000;
const TOO_SOON: &str = "Validation failed: Scheduled at The scheduled date must be in the future";

/// Everything a status is made of, from the request or a scheduled one.
#[derive(Clone)]
struct Draft {
    text: String,
    spoiler_text: String,
    sensitive: bool,
    visibility: String,
    language: Option<String>,
    media_ids: Vec<String>,
    poll: Option<Value>,
    in_reply_to_id: Option<String>,
}

pub(super) fn create(st: &mut State, req: &Req) -> Result<Answer> {
    let Input { params: p, .. } = input(req)?;
    let key = req
        .header("idempotency-key")
        .filter(|k| !k.is_empty())
        .map(|k| k.to_string());
    if let Some(parent) = params::string(&p, "in_reply_to_id").filter(|s| !s.is_empty()) {
        if !st.statuses.iter().any(|s| s.id == parent && !s.deleted) {
            // StatusesController#create, before PostStatusService.
            return Err(super::api::error(
                404,
                "The post you are trying to reply to does not appear to exist.",
            ));
        }
    }
    let now = st.now_ms();
    let scheduled_at = match params::string(&p, "scheduled_at").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let ts: jiff::Timestamp = s.parse().map_err(|_| invalid("Record invalid"))?;
            Some(ts.as_millisecond()).filter(|t| *t > now + MIN_SCHEDULE_MS)
        }
    };
    st.idempotency.retain(|_, (_, exp)| *exp > now);
    if let Some((id, _)) = key.as_ref().and_then(|k| st.idempotency.get(k)) {
        return replay(st, id, scheduled_at.is_some());
    }
    let mut draft = Draft {
        text: params::string(&p, "status").unwrap_or_default(),
        spoiler_text: params::string(&p, "spoiler_text").unwrap_or_default(),
        sensitive: params::boolean(&p, "sensitive"),
        visibility: params::string(&p, "visibility").unwrap_or_else(|| "public".into()),
        language: params::string(&p, "language"),
        media_ids: params::strings(&p, "media_ids").unwrap_or_default(),
        poll: p.get("poll").filter(|v| v.is_object()).cloned(),
        in_reply_to_id: params::string(&p, "in_reply_to_id"),
    };
    validate_media(st, &draft)?;
    // preprocess_attributes!: a content warning alone becomes the text
    // (still sensitive).
    if draft.text.trim().is_empty() && !draft.spoiler_text.is_empty() {
        draft.text = std::mem::take(&mut draft.spoiler_text);
        draft.sensitive = true;
    }
    if let Some(poll) = &draft.poll {
        validate_poll(st, poll)?;
    }
    if !["public", "unlisted", "private", "direct"].contains(&draft.visibility.as_str()) {
        return Err(invalid("Record invalid"));
    }
    validate_text(st, &draft)?;
    let id = match scheduled_at {
        Some(at) => {
            check_schedule_limits(st, at, None)?;
            let sched = schedule(st, &draft, at, key.clone());
            let body = scheduled_json(st, &sched);
            st.scheduled.push(sched.clone());
            remember(st, key, &sched.id);
            return Ok(Answer::ok(body));
        }
        None => publish(st, &draft, None),
    };
    remember(st, key, &id);
    let s = st.statuses.iter().find(|s| s.id == id).expect("just made");
    Ok(Answer::ok(status_json(st, s)))
}

/// A key seen within the hour: the same status, or the same scheduled
/// status when this request schedules (mastodon#30084, since 4.3). The id
/// is looked up where the request points: a key first used to schedule,
/// replayed after that status was published (or without `scheduled_at`),
/// finds nothing: 404.
fn replay(st: &State, id: &str, scheduled: bool) -> Result<Answer> {
    if st.cfg.idempotent_replay_500 {
        return Err(super::api::error(
            500,
            "We're sorry, but something went wrong",
        ));
    }
    if scheduled {
        let s = st
            .scheduled
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(not_found)?;
        return Ok(Answer::ok(scheduled_json(st, s)));
    }
    let s = st
        .statuses
        .iter()
        .find(|s| s.id == id && !s.deleted)
        .ok_or_else(not_found)?;
    Ok(Answer::ok(status_json(st, s)))
}

fn remember(st: &mut State, key: Option<String>, id: &str) {
    if let Some(k) = key {
        let exp = st.now_ms() + HOUR_MS;
        st.idempotency.insert(k, (id.to_string(), exp));
    }
}

fn validate_media(st: &State, d: &Draft) -> Result<()> {
    if d.media_ids.is_empty() {
        return Ok(());
    }
    let max = st.cfg.max_media_attachments;
    if d.media_ids.len() > max || d.poll.is_some() {
        return Err(invalid(&format!("Cannot attach more than {max} files")));
    }
    let found: Vec<_> = d
        .media_ids
        .iter()
        .filter_map(|id| {
            st.media
                .iter()
                .find(|m| &m.id == id && m.status_id.is_none())
        })
        .collect();
    let missing: Vec<&str> = d
        .media_ids
        .iter()
        .filter(|id| !found.iter().any(|m| &&m.id == id))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(invalid(&format!(
            "Media {} not found or already attached to another post",
            missing.join(", ")
        )));
    }
    // `audio_or_video?`: gifv may go with images.
    if found.len() > 1 && found.iter().any(|m| m.kind == "video" || m.kind == "audio") {
        return Err(invalid(
            "Cannot attach a video to a post that already contains images",
        ));
    }
    let now = st.now_ms();
    if found.iter().any(|m| m.ready_at > now) {
        return Err(invalid(
            "Cannot attach files that have not finished processing. Try again in a moment!",
        ));
    }
    Ok(())
}

fn validate_text(st: &State, d: &Draft) -> Result<()> {
    if d.text.trim().is_empty() && d.media_ids.is_empty() && d.spoiler_text.is_empty() {
        return Err(invalid("Validation failed: Text can't be blank"));
    }
    let combined = format!("{}{}", d.spoiler_text, d.text);
    let max = st.cfg.max_characters;
    if countable_length(&combined, st.cfg.characters_reserved_per_url) > max {
        return Err(invalid(&format!(
            "Validation failed: Text character limit of {max} exceeded"
        )));
    }
    Ok(())
}

/// ScheduledStatusValidator: 300 pending, 25 on the UTC day of the time.
fn check_schedule_limits(st: &State, at: i64, except: Option<&str>) -> Result<()> {
    let others = || {
        st.scheduled
            .iter()
            .filter(|s| Some(s.id.as_str()) != except)
    };
    let total = st.cfg.scheduled_total_limit;
    if others().count() >= total {
        return Err(invalid(&format!(
            "Validation failed: You have exceeded the limit of {total} scheduled posts"
        )));
    }
    let day = |ms: i64| ms.div_euclid(86_400_000);
    let daily = st.cfg.scheduled_daily_limit;
    if others().filter(|s| day(s.scheduled_at) == day(at)).count() >= daily {
        return Err(invalid(&format!(
            "Validation failed: You have exceeded the limit of {daily} scheduled posts for today"
        )));
    }
    Ok(())
}

fn schedule(st: &mut State, d: &Draft, at: i64, key: Option<String>) -> Scheduled {
    let id = st.next_id();
    for m in st.media.iter_mut().filter(|m| d.media_ids.contains(&m.id)) {
        m.scheduled_id = Some(id.clone());
    }
    let media_ids = (!d.media_ids.is_empty()).then(|| d.media_ids.clone());
    Scheduled {
        id,
        scheduled_at: at,
        params: json!({
            "text": d.text,
            "poll": d.poll,
            "media_ids": media_ids,
            "sensitive": d.sensitive,
            "visibility": d.visibility,
            "spoiler_text": if d.spoiler_text.is_empty() { Value::Null } else { json!(d.spoiler_text) },
            "scheduled_at": null,
            "language": d.language,
            "application_id": 1,
            "idempotency": key,
            "in_reply_to_id": d.in_reply_to_id,
            "with_rate_limit": false,
        }),
        media_ids: d.media_ids.clone(),
    }
}

fn publish(st: &mut State, d: &Draft, from: Option<String>) -> String {
    let id = st.snowflake();
    for m in st.media.iter_mut().filter(|m| d.media_ids.contains(&m.id)) {
        m.status_id = Some(id.clone());
    }
    let status = Status {
        id: id.clone(),
        created_at: st.now_ms(),
        text: d.text.clone(),
        spoiler_text: d.spoiler_text.clone(),
        sensitive: d.sensitive || !d.spoiler_text.is_empty(),
        visibility: d.visibility.clone(),
        language: d.language.clone(),
        media_ids: d.media_ids.clone(),
        poll: d.poll.clone(),
        in_reply_to_id: d.in_reply_to_id.clone(),
        from_scheduled: from,
        deleted: false,
    };
    st.statuses.push(status);
    id
}

/// A text status made by a person in the app.
pub(super) fn post_in_app(st: &mut State, text: &str) -> String {
    let draft = Draft {
        text: text.to_string(),
        spoiler_text: String::new(),
        sensitive: false,
        visibility: "public".into(),
        language: None,
        media_ids: Vec::new(),
        poll: None,
        in_reply_to_id: None,
    };
    publish(st, &draft, None)
}

/// A status made in the app in the past, its media processed.
pub(super) fn seed(st: &mut State, seed: SeedStatus) -> String {
    let at = st.now_ms() - seed.age.as_millis() as i64;
    let mut media_ids = Vec::new();
    for (mime, bytes, description) in seed.media {
        let id = st.next_id();
        media_ids.push(id.clone());
        st.media.push(Media {
            id,
            kind: super::api::kind_of(&mime).to_string(),
            mime,
            bytes,
            description,
            focus: None,
            ready_at: at,
            status_id: None,
            scheduled_id: None,
        });
    }
    let visibility = if seed.visibility.is_empty() {
        "public".to_string()
    } else {
        seed.visibility
    };
    let draft = Draft {
        text: seed.text,
        spoiler_text: String::new(),
        sensitive: false,
        visibility,
        language: None,
        media_ids,
        poll: None,
        in_reply_to_id: seed.in_reply_to_id,
    };
    let id = publish(st, &draft, None);
    if let Some(s) = st.statuses.iter_mut().find(|s| s.id == id) {
        s.created_at = at;
    }
    id
}

/// Publishes every scheduled status whose time has come, oldest first.
pub(super) fn publish_due(st: &mut State) {
    let now = st.now_ms();
    let mut due: Vec<Scheduled> = st
        .scheduled
        .iter()
        .filter(|s| s.scheduled_at <= now)
        .cloned()
        .collect();
    due.sort_by_key(|s| s.scheduled_at);
    st.scheduled.retain(|s| s.scheduled_at > now);
    for s in due {
        let p = &s.params;
        let text = |k: &str| p[k].as_str().unwrap_or("").to_string();
        let draft = Draft {
            text: text("text"),
            spoiler_text: text("spoiler_text"),
            sensitive: p["sensitive"].as_bool().unwrap_or(false),
            visibility: text("visibility"),
            language: p["language"].as_str().map(str::to_string),
            media_ids: s.media_ids.clone(),
            poll: p.get("poll").filter(|v| v.is_object()).cloned(),
            in_reply_to_id: p["in_reply_to_id"].as_str().map(str::to_string),
        };
        publish(st, &draft, Some(s.id.clone()));
    }
}

fn status_json(st: &State, s: &Status) -> Value {
    let url = format!("https://{}/@{}/{}", st.cfg.domain, st.cfg.username, s.id);
    let media: Vec<Value> = s
        .media_ids
        .iter()
        .filter_map(|id| st.media.iter().find(|m| &m.id == id))
        .map(|m| media_json(st, m))
        .collect();
    json!({
        "id": s.id,
        "created_at": iso(s.created_at),
        "in_reply_to_id": s.in_reply_to_id,
        "sensitive": s.sensitive,
        "spoiler_text": s.spoiler_text,
        "visibility": s.visibility,
        "language": s.language,
        "uri": format!("https://{}/users/{}/statuses/{}", st.cfg.domain, st.cfg.username, s.id),
        "url": url,
        "content": format!("<p>{}</p>", escape(&s.text)),
        "media_attachments": media,
        "poll": s.poll.as_ref().map(|p| poll_json(s, p)),
        "account": account_json(st),
        "application": {"name": "postwright", "website": null},
    })
}

/// The Poll entity made from `poll[...]` (the raw parameters stay in a
/// ScheduledStatus's `params`).
fn poll_json(s: &Status, p: &Value) -> Value {
    let expires_in = match &p["expires_in"] {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(v) => v.parse().unwrap_or(0),
        _ => 0,
    };
    let options: Vec<Value> = p["options"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| json!({"title": o, "votes_count": 0}))
        .collect();
    let multiple = matches!(&p["multiple"], Value::Bool(true))
        || matches!(&p["multiple"], Value::String(m) if m == "true" || m == "1");
    json!({
        "id": s.id,
        "expires_at": iso(s.created_at + expires_in * 1000),
        "expired": false,
        "multiple": multiple,
        "votes_count": 0,
        "voters_count": if multiple { json!(0) } else { Value::Null },
        "options": options,
        "emojis": [],
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn scheduled_json(st: &State, s: &Scheduled) -> Value {
    let media: Vec<Value> = s
        .media_ids
        .iter()
        .filter_map(|id| st.media.iter().find(|m| &m.id == id))
        .map(|m| media_json(st, m))
        .collect();
    json!({
        "id": s.id,
        "scheduled_at": iso(s.scheduled_at),
        "params": s.params,
        "media_attachments": media,
    })
}

pub(super) fn get(st: &State, id: &str) -> Result<Answer> {
    let s = st
        .statuses
        .iter()
        .find(|s| s.id == id && !s.deleted)
        .ok_or_else(not_found)?;
    Ok(Answer::ok(status_json(st, s)))
}

/// 200 with the deleted status and its source `text` (for redrafting).
pub(super) fn delete(st: &mut State, id: &str) -> Result<Answer> {
    let idx = st
        .statuses
        .iter()
        .position(|s| s.id == id && !s.deleted)
        .ok_or_else(not_found)?;
    st.statuses[idx].deleted = true;
    let s = st.statuses[idx].clone();
    let mut body = status_json(st, &s);
    body["text"] = json!(s.text);
    Ok(Answer::ok(body))
}

fn num(id: &str) -> u128 {
    id.parse().unwrap_or(0)
}

/// `limit_param`: default 20, at most twice that.
fn limit(req: &Req) -> usize {
    let p = input(req).map(|i| i.params).unwrap_or_default();
    params::string(&p, "limit")
        .and_then(|l| l.parse::<i64>().ok())
        .map_or(20, |l| (l.unsigned_abs() as usize).min(40))
}

fn max_id(req: &Req) -> Option<u128> {
    let p = input(req).ok()?.params;
    params::string(&p, "max_id").map(|m| num(&m))
}

pub(super) fn list(st: &State, req: &Req, account: &str) -> Result<Answer> {
    if account != st.cfg.account_id {
        return Err(not_found());
    }
    let max = max_id(req);
    let mut items: Vec<&Status> = st
        .statuses
        .iter()
        .filter(|s| !s.deleted && max.is_none_or(|m| num(&s.id) < m))
        .collect();
    items.sort_by_key(|s| std::cmp::Reverse(num(&s.id)));
    items.truncate(limit(req));
    let body: Vec<Value> = items.iter().map(|s| status_json(st, s)).collect();
    let mut answer = Answer::ok(Value::Array(body));
    if let Some(last) = items.last() {
        let link = format!(
            "<https://{}/api/v1/accounts/{account}/statuses?max_id={}>; rel=\"next\"",
            st.cfg.domain, last.id
        );
        answer.headers.push(("link", link));
    }
    Ok(answer)
}

pub(super) fn list_scheduled(st: &State, req: &Req) -> Result<Answer> {
    let max = max_id(req);
    let mut items: Vec<&Scheduled> = st
        .scheduled
        .iter()
        .filter(|s| max.is_none_or(|m| num(&s.id) < m))
        .collect();
    items.sort_by_key(|s| std::cmp::Reverse(num(&s.id)));
    items.truncate(limit(req));
    let body = items.iter().map(|s| scheduled_json(st, s)).collect();
    Ok(Answer::ok(Value::Array(body)))
}

pub(super) fn get_scheduled(st: &State, id: &str) -> Result<Answer> {
    let s = st
        .scheduled
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(not_found)?;
    Ok(Answer::ok(scheduled_json(st, s)))
}

/// PUT: only `scheduled_at` changes; the model validates it (422 when too
/// soon, unlike POST).
pub(super) fn move_scheduled(st: &mut State, req: &Req, id: &str) -> Result<Answer> {
    let p = input(req)?.params;
    let idx = st
        .scheduled
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(not_found)?;
    if let Some(at) = params::string(&p, "scheduled_at") {
        let ts: jiff::Timestamp = at.parse().map_err(|_| invalid(TOO_SOON))?;
        let at = ts.as_millisecond();
        if at <= st.now_ms() + MIN_SCHEDULE_MS {
            return Err(invalid(TOO_SOON));
        }
        check_schedule_limits(st, at, Some(id))?;
        st.scheduled[idx].scheduled_at = at;
    }
    let s = st.scheduled[idx].clone();
    Ok(Answer::ok(scheduled_json(st, &s)))
}

/// DELETE: 200 `{}`; the media go with it.
pub(super) fn cancel_scheduled(st: &mut State, id: &str) -> Result<Answer> {
    let idx = st
        .scheduled
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(not_found)?;
    let s = st.scheduled.remove(idx);
    st.media
        .retain(|m| m.scheduled_id.as_deref() != Some(s.id.as_str()));
    Ok(Answer::ok(json!({})))
}
