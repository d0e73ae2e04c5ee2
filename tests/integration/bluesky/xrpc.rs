//! The XRPC methods: sessions, blobs, records, handles. Statuses, error
//! names and messages are the reference PDS's (tests/integration/pds/smoke.rs
//! pins them there).

use super::sessions::{self, access, spend_write_points};
use super::{Blob, Record, State};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub(super) const POST: &str = "app.bsky.feed.post";

/// A request, parsed.
pub(super) struct Req<'a> {
    pub method: &'a str,
    pub nsid: &'a str,
    pub query: &'a BTreeMap<String, String>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    pub bearer: Option<&'a str>,
}

/// What goes back.
pub(super) struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
    /// The call changed something (the effect hook runs).
    pub changed: bool,
}

impl Answer {
    pub fn ok(body: Value) -> Answer {
        Answer {
            status: 200,
            body,
            headers: Vec::new(),
            changed: false,
        }
    }

    pub fn changed(mut self) -> Answer {
        self.changed = true;
        self
    }
}

pub(super) fn error(status: u16, name: &str, message: &str) -> Answer {
    Answer {
        status,
        body: json!({"error": name, "message": message}),
        headers: Vec::new(),
        changed: false,
    }
}

pub(super) fn invalid(message: &str) -> Answer {
    error(400, "InvalidRequest", message)
}

pub(super) fn route(st: &mut State, req: &Req) -> Answer {
    let expected = match req.nsid {
        "com.atproto.server.getSession"
        | "com.atproto.repo.getRecord"
        | "com.atproto.repo.listRecords"
        | "com.atproto.identity.resolveHandle" => "GET",
        "com.atproto.server.createSession"
        | "com.atproto.server.refreshSession"
        | "com.atproto.repo.uploadBlob"
        | "com.atproto.repo.createRecord"
        | "com.atproto.repo.deleteRecord" => "POST",
        _ => return error(501, "MethodNotImplemented", "Method Not Implemented"),
    };
    if req.method != expected {
        return invalid(&format!(
            "Incorrect HTTP method ({}) expected {expected}",
            req.method
        ));
    }
    let result = match req.nsid {
        "com.atproto.server.createSession" => sessions::create_session(st, req),
        "com.atproto.server.refreshSession" => sessions::refresh_session(st, req),
        "com.atproto.server.getSession" => sessions::get_session(st, req),
        "com.atproto.repo.uploadBlob" => upload_blob(st, req),
        "com.atproto.repo.createRecord" => create_record(st, req),
        "com.atproto.repo.getRecord" => get_record(st, req),
        "com.atproto.repo.listRecords" => list_records(st, req),
        "com.atproto.repo.deleteRecord" => delete_record(st, req),
        _ => resolve_handle(st, req),
    };
    result.unwrap_or_else(|e| e)
}

pub(super) type Result<T> = std::result::Result<T, Answer>;

pub(super) fn json_body(req: &Req) -> Result<Map<String, Value>> {
    match serde_json::from_slice(req.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid("Request body must be a JSON object")),
    }
}

pub(super) fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(&format!("Input must have the property \"{key}\"")))
}

pub(super) fn param<'a>(req: &'a Req, key: &str) -> Result<&'a str> {
    req.query
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| invalid(&format!("Params must have the property \"{key}\"")))
}

/// The repo named is this account (by DID or handle).
pub(super) fn is_account(st: &State, repo: &str) -> bool {
    repo == st.cfg.did || repo.eq_ignore_ascii_case(&st.cfg.handle)
}

fn upload_blob(st: &mut State, req: &Req) -> Result<Answer> {
    access(st, req)?;
    if req.body.len() > st.cfg.blob_limit {
        return Err(error(413, "PayloadTooLarge", "request entity too large"));
    }
    let mime = req
        .content_type
        .unwrap_or("application/octet-stream")
        .to_string();
    let cid = cid(0x55, req.body);
    if !st.blobs.iter().any(|b| b.cid == cid) {
        st.blobs.push(Blob {
            cid: cid.clone(),
            mime: mime.clone(),
            bytes: req.body.to_vec(),
        });
    }
    let blob =
        json!({"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": req.body.len()});
    Ok(Answer::ok(json!({ "blob": blob })).changed())
}

fn create_record(st: &mut State, req: &Req) -> Result<Answer> {
    access(st, req)?;
    let body = json_body(req)?;
    let repo = field(&body, "repo")?;
    let collection = field(&body, "collection")?.to_string();
    let Some(Value::Object(record)) = body.get("record") else {
        return Err(invalid("Input must have the property \"record\""));
    };
    if !is_account(st, repo) {
        return Err(error(
            401,
            "AuthenticationRequired",
            "Authentication Required",
        ));
    }
    if let Some(t) = record
        .get("$type")
        .and_then(Value::as_str)
        .filter(|t| *t != collection)
    {
        return Err(invalid(&format!(
            "Invalid $type: expected {collection}, got {t}"
        )));
    }
    let rkey = match body.get("rkey").and_then(Value::as_str) {
        Some(k) if collection == POST && !is_tid(k) => {
            return Err(invalid(&format!(
                "Invalid record key for {POST}: Invalid TID string (got \"{k}\") at $"
            )))
        }
        Some(k) => k.to_string(),
        None => tid(st),
    };
    if st
        .records
        .iter()
        .any(|r| r.collection == collection && r.rkey == rkey && !r.deleted)
    {
        return Err(error(500, "InternalServerError", "Internal Server Error"));
    }
    check_blobs(st, &Value::Object(record.clone()))?;
    let headers = spend_write_points(st, 3)?;
    let mut value = record.clone();
    value
        .entry("$type")
        .or_insert_with(|| Value::String(collection.clone()));
    let value = dag_cbor_order(Value::Object(value));
    let uri = format!("at://{}/{collection}/{rkey}", st.cfg.did);
    let cid = cid(0x71, &serde_json::to_vec(&value).expect("json"));
    let status = if collection.starts_with("app.bsky.") {
        "valid"
    } else {
        "unknown"
    };
    let commit = commit(st);
    st.records.push(Record {
        collection,
        rkey,
        uri: uri.clone(),
        cid: cid.clone(),
        value,
        deleted: false,
    });
    let mut answer =
        Answer::ok(json!({"uri": uri, "cid": cid, "commit": commit, "validationStatus": status}));
    answer.headers = headers;
    Ok(answer.changed())
}

fn commit(st: &mut State) -> Value {
    st.next_rev += 1;
    let rev = crate::pds::tid_from(1_796_000_000_000_000 + st.next_rev, 0);
    json!({"cid": cid(0x71, rev.as_bytes()), "rev": rev})
}

/// Every blob ref in the record names an upload of that type and size.
fn check_blobs(st: &State, v: &Value) -> Result<()> {
    match v {
        Value::Object(map) if map.get("$type").and_then(Value::as_str) == Some("blob") => {
            let link = v
                .pointer("/ref/$link")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some(found) = st.blobs.iter().find(|b| b.cid == link) else {
                return Err(error(
                    400,
                    "BlobNotFound",
                    &format!("Could not find blob: {link}"),
                ));
            };
            let mime = map.get("mimeType").and_then(Value::as_str).unwrap_or("");
            if mime != found.mime {
                let m = format!(
                    "Referenced Mimetype does not match stored blob. Expected: {}, Got: {mime}",
                    found.mime
                );
                return Err(error(400, "InvalidMimeType", &m));
            }
            let size = map.get("size").and_then(Value::as_u64).unwrap_or(0);
            if size != found.bytes.len() as u64 {
                let m = format!(
                    "Referenced Size does not match stored blob. Expected: {}, Got: {size}",
                    found.bytes.len()
                );
                return Err(error(400, "InvalidSize", &m));
            }
            Ok(())
        }
        Value::Object(map) => map.values().try_for_each(|v| check_blobs(st, v)),
        Value::Array(items) => items.iter().try_for_each(|v| check_blobs(st, v)),
        _ => Ok(()),
    }
}

fn get_record(st: &mut State, req: &Req) -> Result<Answer> {
    let repo = param(req, "repo")?;
    let collection = param(req, "collection")?;
    let rkey = param(req, "rkey")?;
    if !is_account(st, repo) {
        return Err(invalid("Could not locate record"));
    }
    let found = st
        .records
        .iter()
        .find(|r| r.collection == collection && r.rkey == rkey && !r.deleted);
    match found {
        Some(r) => Ok(Answer::ok(
            json!({"uri": r.uri, "cid": r.cid, "value": r.value}),
        )),
        None => Err(error(
            400,
            "RecordNotFound",
            &format!(
                "Could not locate record: at://{}/{collection}/{rkey}",
                st.cfg.did
            ),
        )),
    }
}

fn list_records(st: &mut State, req: &Req) -> Result<Answer> {
    let repo = param(req, "repo")?;
    let collection = param(req, "collection")?;
    if !is_account(st, repo) {
        return Err(invalid(&format!("Could not find repo: {repo}")));
    }
    let limit: i64 = match req.query.get("limit") {
        None => 50,
        Some(l) => l.parse().map_err(|_| {
            invalid("Invalid com.atproto.repo.listRecords params: limit must be an integer")
        })?,
    };
    let bad = |m: String| invalid(&format!("Invalid com.atproto.repo.listRecords params: {m}"));
    if limit > 100 {
        return Err(bad(format!("integer too big (maximum 100, got {limit})")));
    }
    if limit < 1 {
        return Err(bad(format!("integer too small (minimum 1, got {limit})")));
    }
    let reverse = req.query.get("reverse").map(String::as_str) == Some("true");
    let cursor = req.query.get("cursor");
    let mut live: Vec<&Record> = st
        .records
        .iter()
        .filter(|r| r.collection == collection && !r.deleted)
        .filter(|r| match cursor {
            Some(c) if reverse => r.rkey.as_str() > c.as_str(),
            Some(c) => r.rkey.as_str() < c.as_str(),
            None => true,
        })
        .collect();
    live.sort_by(|a, b| a.rkey.cmp(&b.rkey));
    if !reverse {
        live.reverse();
    }
    live.truncate(limit as usize);
    let records: Vec<Value> = live
        .iter()
        .map(|r| json!({"uri": r.uri, "cid": r.cid, "value": r.value}))
        .collect();
    let mut body = json!({ "records": records });
    if let Some(last) = live.last() {
        body["cursor"] = json!(last.rkey);
    }
    Ok(Answer::ok(body))
}

fn delete_record(st: &mut State, req: &Req) -> Result<Answer> {
    access(st, req)?;
    let body = json_body(req)?;
    let repo = field(&body, "repo")?;
    let collection = field(&body, "collection")?.to_string();
    let rkey = field(&body, "rkey")?.to_string();
    if !is_account(st, repo) {
        return Err(error(
            401,
            "AuthenticationRequired",
            "Authentication Required",
        ));
    }
    let headers = spend_write_points(st, 1)?;
    let found = st
        .records
        .iter()
        .position(|r| r.collection == collection && r.rkey == rkey && !r.deleted);
    let mut answer = match found {
        Some(i) => {
            st.records[i].deleted = true;
            let commit = commit(st);
            Answer::ok(json!({ "commit": commit })).changed()
        }
        None => Answer::ok(json!({})),
    };
    answer.headers = headers;
    Ok(answer)
}

fn resolve_handle(st: &mut State, req: &Req) -> Result<Answer> {
    let handle = param(req, "handle")?.to_ascii_lowercase();
    if handle == st.cfg.handle.to_ascii_lowercase() {
        return Ok(Answer::ok(json!({"did": st.cfg.did})));
    }
    if let Some(did) = st.cfg.handles.get(&handle) {
        return Ok(Answer::ok(json!({ "did": did })));
    }
    if handle.ends_with(&st.cfg.handle_domain) {
        return Err(error(400, "HandleNotFound", "Unable to resolve handle"));
    }
    Err(invalid("Unable to resolve handle"))
}

/// A CIDv1 string (base32, sha2-256) of `bytes` with `codec`: raw (0x55)
/// for blobs, as the PDS computes them; dag-cbor (0x71) over the JSON for
/// records and commits (well-formed, not the PDS's value).
pub fn cid(codec: u8, bytes: &[u8]) -> String {
    let mut raw = vec![0x01, codec, 0x12, 0x20];
    raw.extend_from_slice(&Sha256::digest(bytes));
    format!("b{}", base32(&raw))
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in bytes {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Keys in DAG-CBOR's order (shorter first, then bytewise), as the PDS reads
/// records back.
fn dag_cbor_order(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| (a.len(), a.as_bytes()).cmp(&(b.len(), b.as_bytes())));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, dag_cbor_order(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(dag_cbor_order).collect()),
        other => other,
    }
}

/// A TID: 13 characters of base32-sortable, the first in 2–j.
pub(super) fn is_tid(s: &str) -> bool {
    const ALPHABET: &str = "234567abcdefghijklmnopqrstuvwxyz";
    s.len() == 13 && s.chars().all(|c| ALPHABET.contains(c)) && "234567abcdefghij".contains(&s[..1])
}

fn tid(st: &mut State) -> String {
    st.next_rev += 1;
    crate::pds::tid_from(st.now() as u64 * 1_000_000 + st.next_rev, 7)
}
