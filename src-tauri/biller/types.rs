//! BillerAPI types, as `billerapi-request-to-link.txt` describes them. Unknown
//! statuses and extra fields never break parsing: an unknown status is kept as
//! it came and shown as such.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RtlStatus {
    Pending,
    InProgress,
    Completed,
    Cancelled,
    Expired,
    /// A status the documents do not name, kept verbatim.
    Other(String),
}

impl RtlStatus {
    pub const DOCUMENTED: [RtlStatus; 5] = [
        RtlStatus::Pending,
        RtlStatus::InProgress,
        RtlStatus::Completed,
        RtlStatus::Cancelled,
        RtlStatus::Expired,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            RtlStatus::Pending => "PENDING",
            RtlStatus::InProgress => "IN_PROGRESS",
            RtlStatus::Completed => "COMPLETED",
            RtlStatus::Cancelled => "CANCELLED",
            RtlStatus::Expired => "EXPIRED",
            RtlStatus::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> RtlStatus {
        match s {
            "PENDING" => RtlStatus::Pending,
            "IN_PROGRESS" => RtlStatus::InProgress,
            "COMPLETED" => RtlStatus::Completed,
            "CANCELLED" => RtlStatus::Cancelled,
            "EXPIRED" => RtlStatus::Expired,
            other => RtlStatus::Other(other.to_string()),
        }
    }

    /// Only PENDING or IN_PROGRESS can be cancelled (the cancel endpoint's doc).
    pub fn can_cancel(&self) -> bool {
        matches!(self, RtlStatus::Pending | RtlStatus::InProgress)
    }

    /// Proceeding starts a link session; it makes sense only before the link is done.
    pub fn can_proceed(&self) -> bool {
        matches!(self, RtlStatus::Pending | RtlStatus::InProgress)
    }

    /// The statuses PATCH /status may move this record to. Nothing leaves
    /// COMPLETED, CANCELLED or EXPIRED; EXPIRED is never set by a client.
    pub fn next_statuses(&self) -> &'static [RtlStatus] {
        match self {
            RtlStatus::Pending => &[RtlStatus::InProgress, RtlStatus::Cancelled],
            RtlStatus::InProgress => &[
                RtlStatus::Pending,
                RtlStatus::Completed,
                RtlStatus::Cancelled,
            ],
            _ => &[],
        }
    }
}

impl std::fmt::Display for RtlStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RtlStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RtlStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(RtlStatus::parse(&s))
    }
}

/// The Request to Link object. Timestamps stay as the text the service sent
/// (ISO 8601); the UI shows them in local time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestToLink {
    pub id: String,
    #[serde(default)]
    pub client_id: String,
    pub client_user_id: String,
    #[serde(default)]
    pub biller_id: Option<String>,
    pub status: RtlStatus,
    #[serde(default)]
    pub link_token_id: Option<String>,
    #[serde(default)]
    pub session_url: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// The documented list filters. Empty strings mean "no filter".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RtlFilter {
    /// Case-insensitive substring of the client user ID or the biller's name.
    pub search: Option<String>,
    pub status: Option<String>,
    pub client_user_id: Option<String>,
    pub biller_id: Option<String>,
}

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// `{items, total, page, limit}` from GET /link/request-to-link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtlPage {
    pub items: Vec<RequestToLink>,
    pub total: u64,
    pub page: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Biller {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The answer of POST /link/request-to-link/:id/proceed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProceedResult {
    pub link_token: String,
    pub session_url: String,
    pub expires_at: String,
}

/// Body of POST /link/request-to-link/create (camelCase, as documented).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRtl {
    pub client_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biller_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_and_extra_fields_parse() {
        let rtl: RequestToLink = serde_json::from_str(
            r#"{"id":"rtl_1","client_id":"c","client_user_id":"u","status":"ON_HOLD","extra":1}"#,
        )
        .unwrap();
        assert_eq!(rtl.status, RtlStatus::Other("ON_HOLD".into()));
        assert_eq!(serde_json::to_value(&rtl.status).unwrap(), "ON_HOLD");
    }

    #[test]
    fn transitions_follow_the_documents() {
        assert!(RtlStatus::Pending.can_cancel());
        assert!(!RtlStatus::Completed.can_cancel());
        assert!(RtlStatus::Expired.next_statuses().is_empty());
        assert!(RtlStatus::Other("X".into()).next_statuses().is_empty());
    }
}
