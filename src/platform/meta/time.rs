//! Meta's shared words on the wire: a container's `status_code`, and its
//! timestamps (`2026-12-01T08:00:00+0000`).

use crate::platform::ContainerState;

/// Meta's `status_code` for a container's state (the Graph API and
/// Threads alike).
pub fn container_state(code: &str) -> ContainerState {
    match code {
        "IN_PROGRESS" => ContainerState::InProgress,
        "FINISHED" => ContainerState::Finished,
        "ERROR" => ContainerState::Error,
        "EXPIRED" => ContainerState::Expired,
        "PUBLISHED" => ContainerState::Published,
        other => ContainerState::Unknown(other.to_string()),
    }
}

/// Meta writes `2026-12-01T08:00:00+0000`; jiff wants a colon in the offset.
pub fn parse_meta_time(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse() {
        return Some(t);
    }
    if s.len() > 5 {
        let (head, tail) = s.split_at(s.len() - 2);
        return format!("{head}:{tail}").parse().ok();
    }
    None
}
