//! Request parameters the way Rails reads them: a form
//! (`media_ids[]=1&poll[options][]=a`), a JSON body, or multipart parts,
//! all turned into one JSON object (`{"media_ids":["1"],"poll":{"options":
//! ["a"]}}`) so the handlers see one shape.

use serde_json::{Map, Value};

/// One multipart part.
#[derive(Debug, Clone)]
pub(super) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// The parameters of a request (query and body merged, body winning) and
/// its file parts. `Err` is the 400 message for a body Rails cannot parse.
pub(super) fn parse(
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(Map<String, Value>, Vec<Part>), String> {
    let mut params = Map::new();
    for (k, v) in form_pairs(query) {
        insert(&mut params, &k, v);
    }
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let mut files = Vec::new();
    if ct.starts_with("application/json") {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => params.extend(map),
            _ if body.is_empty() => {}
            _ => return Err("Error occurred while parsing request parameters".into()),
        }
    } else if ct.starts_with("multipart/form-data") {
        let boundary = content_type
            .and_then(|c| c.split("boundary=").nth(1))
            .map(|b| b.trim_matches('"').to_string())
            .ok_or("multipart without a boundary")?;
        for part in multipart(body, &boundary)? {
            if part.filename.is_some() {
                files.push(part);
            } else {
                let v = String::from_utf8_lossy(&part.data).into_owned();
                insert(&mut params, &part.name, v);
            }
        }
    } else if !body.is_empty() {
        for (k, v) in form_pairs(&String::from_utf8_lossy(body)) {
            insert(&mut params, &k, v);
        }
    }
    Ok((params, files))
}

/// `a[b][]` → the path `["a", "b", ""]` ("" appends to an array).
fn insert(params: &mut Map<String, Value>, key: &str, value: String) {
    let mut path: Vec<&str> = Vec::new();
    let (head, mut rest) = key.split_once('[').map_or((key, ""), |(h, r)| (h, r));
    path.push(head);
    while !rest.is_empty() {
        let Some((seg, after)) = rest.split_once(']') else {
            break;
        };
        path.push(seg);
        rest = after.strip_prefix('[').unwrap_or(after);
    }
    put(params, &path, Value::String(value));
}

fn put(map: &mut Map<String, Value>, path: &[&str], value: Value) {
    let key = path[0].to_string();
    match path.get(1) {
        None => {
            map.insert(key, value);
        }
        Some(&"") => {
            let entry = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.push(value);
            } else {
                *entry = Value::Array(vec![value]);
            }
        }
        Some(_) => {
            let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                put(inner, &path[1..], value);
            }
        }
    }
}

fn form_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut chunks = split(body, delim.as_bytes());
    chunks.remove(0);
    for chunk in chunks {
        if chunk.starts_with(b"--") {
            break;
        }
        let chunk = chunk.strip_prefix(b"\r\n").unwrap_or(chunk);
        let chunk = chunk.strip_suffix(b"\r\n").unwrap_or(chunk);
        let Some(split_at) = find(chunk, b"\r\n\r\n") else {
            return Err("multipart part without headers".into());
        };
        let head = String::from_utf8_lossy(&chunk[..split_at]).into_owned();
        let data = chunk[split_at + 4..].to_vec();
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data,
        };
        for line in head.split("\r\n") {
            let (k, v) = line.split_once(':').unwrap_or((line, ""));
            match k.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    part.name = disposition(v, "name").unwrap_or_default();
                    part.filename = disposition(v, "filename");
                }
                "content-type" => part.content_type = Some(v.trim().to_string()),
                _ => {}
            }
        }
        parts.push(part);
    }
    Ok(parts)
}

fn disposition(v: &str, key: &str) -> Option<String> {
    v.split(';').find_map(|kv| {
        let (k, val) = kv.trim().split_once('=')?;
        (k == key).then(|| val.trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut hay: &'a [u8], delim: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(i) = find(hay, delim) {
        out.push(&hay[..i]);
        hay = &hay[i + delim.len()..];
    }
    out.push(hay);
    out
}

/// A parameter as a string (`Value::String`, or a number/bool in JSON).
pub(super) fn string(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Rails' boolean casting: "1", "true", "t", "on" … are true.
pub(super) fn boolean(params: &Map<String, Value>, key: &str) -> bool {
    match params.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !matches!(
            s.to_ascii_lowercase().as_str(),
            "" | "0" | "f" | "false" | "off"
        ),
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        _ => false,
    }
}

/// `media_ids[]` (form) or `media_ids` (JSON) as strings.
pub(super) fn strings(params: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    match params.get(key)? {
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}
