//! Reading Link Money JSON bodies, with errors that name the field.

use serde_json::{Map, Value};

use super::error::{LmError, LmResult};

/// Parses a JSON object body for Link Money.
pub fn parse_object(body: &[u8]) -> LmResult<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(LmError::Validation("body: must be a JSON object".into())),
        Err(e) => Err(LmError::Validation(format!("body: invalid JSON ({e})"))),
    }
}

/// A required, non-empty string field.
pub fn required_str<'a>(body: &'a Map<String, Value>, field: &str) -> LmResult<&'a str> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(LmError::validation(field, "is required"))
        }
        Some(_) => Err(LmError::validation(field, "must be a string")),
    }
}
