//! The request-to-link record, its statuses, identifiers and JSON form.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::catalog;
use crate::util::{format_secs, now_secs};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtlStatus {
    Pending,
    InProgress,
    Completed,
    Cancelled,
    Expired,
}

impl RtlStatus {
    pub const ALL: [RtlStatus; 5] = [
        Self::Pending,
        Self::InProgress,
        Self::Completed,
        Self::Cancelled,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether PATCH .../status may move a record from `self` to `to`.
    /// Nothing leaves a final status, and EXPIRED is only ever reached by time.
    pub fn can_become(self, to: RtlStatus) -> bool {
        matches!(
            (self, to),
            (Self::Pending, Self::InProgress | Self::Cancelled)
                | (
                    Self::InProgress,
                    Self::Pending | Self::Completed | Self::Cancelled
                )
        )
    }

    /// Cancel and proceed accept only records still waiting for the user.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::InProgress)
    }
}

/// IDs are "rtl_" and 12 characters of [0-9a-z]: a base-36 number, stored as
/// that number. Text order of the 12 characters equals numeric order, which the
/// list's tiebreak (id DESC) relies on.
pub const ID_SPACE: u64 = 36u64.pow(12);
const ID_PREFIX: &str = "rtl_";
const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

pub fn format_id(mut n: u64) -> String {
    let mut digits = [b'0'; 12];
    for slot in digits.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    let mut id = String::with_capacity(16);
    id.push_str(ID_PREFIX);
    id.extend(digits.iter().map(|&d| char::from(d)));
    id
}

pub fn parse_id(text: &str) -> Option<u64> {
    let digits = text.strip_prefix(ID_PREFIX)?;
    if digits.len() != 12 {
        return None;
    }
    digits.bytes().try_fold(0u64, |n, b| {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'z' => b - b'a' + 10,
            _ => return None,
        };
        Some(n * 36 + u64::from(d))
    })
}

#[derive(Debug, Clone)]
pub struct Rtl {
    pub id: u64,
    /// Index into the store's `Users`.
    pub user: u32,
    pub biller: Option<u16>,
    pub status: RtlStatus,
    pub link_token_id: Option<Box<str>>,
    pub session_url: Option<Box<str>>,
    /// Seeded records share a small palette of metadata objects.
    pub metadata: Option<Arc<Value>>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Rtl {
    /// Marks a change; never backwards, even when the demo data was anchored
    /// in the future.
    pub fn touch(&mut self) {
        self.updated_at = now_secs().max(self.updated_at);
    }

    /// Order of every list: created_at DESC, then id DESC.
    pub fn is_before(&self, other: &Rtl) -> bool {
        (self.created_at, self.id) > (other.created_at, other.id)
    }

    pub fn json<'a>(&'a self, client_id: &'a str, client_user_id: &'a str) -> RtlJson<'a> {
        RtlJson {
            id: format_id(self.id),
            client_id,
            client_user_id,
            biller_id: self.biller.map(catalog::id_of),
            status: self.status.as_str(),
            link_token_id: self.link_token_id.as_deref(),
            session_url: self.session_url.as_deref(),
            metadata: self.metadata.as_deref(),
            created_at: format_secs(self.created_at),
            updated_at: format_secs(self.updated_at),
        }
    }
}

/// All ten documented fields, always present, `null` where absent.
#[derive(Serialize)]
pub struct RtlJson<'a> {
    id: String,
    client_id: &'a str,
    client_user_id: &'a str,
    biller_id: Option<&'static str>,
    status: &'static str,
    link_token_id: Option<&'a str>,
    session_url: Option<&'a str>,
    metadata: Option<&'a Value>,
    created_at: String,
    updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_sort_like_text() {
        for n in [0, 1, 35, 36, 123_456_789, ID_SPACE - 1] {
            let id = format_id(n);
            assert_eq!(id.len(), 16);
            assert_eq!(parse_id(&id), Some(n));
        }
        assert!(format_id(36) > format_id(35));
        assert_eq!(parse_id("rtl_ABCDEFGHIJKL"), None);
        assert_eq!(parse_id("rtl_abc"), None);
        assert_eq!(parse_id("abc_abcdefghijkl"), None);
    }

    #[test]
    fn transitions_follow_the_lifecycle() {
        use RtlStatus::*;
        assert!(Pending.can_become(InProgress));
        assert!(Pending.can_become(Cancelled));
        assert!(!Pending.can_become(Completed));
        assert!(InProgress.can_become(Pending));
        assert!(InProgress.can_become(Completed));
        for from in [Completed, Cancelled, Expired] {
            for to in RtlStatus::ALL {
                assert!(!from.can_become(to));
            }
        }
        for from in RtlStatus::ALL {
            assert!(!from.can_become(Expired));
            assert!(!from.can_become(from));
        }
    }
}
