//! Small helpers shared by both services: locks, random identifiers, time formats.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};
use rand::Rng;

// A panic while holding a lock would only ever come from a bug in a handler; the
// data stays usable, so the sandbox keeps serving rather than failing every call.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

pub fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

const ALPHANUMERIC: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Lowercase letters and digits, `len` of them.
pub fn random_alnum(rng: &mut impl Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(ALPHANUMERIC[rng.gen_range(0..ALPHANUMERIC.len())]))
        .collect()
}

/// A UUID-shaped identifier (version 4 layout), as Link Money's examples show.
pub fn random_uuid(rng: &mut impl Rng) -> String {
    let a: u32 = rng.gen();
    let b: u16 = rng.gen();
    let c: u16 = (rng.gen::<u16>() & 0x0fff) | 0x4000;
    let d: u16 = (rng.gen::<u16>() & 0x3fff) | 0x8000;
    let e: u64 = rng.gen::<u64>() & 0xffff_ffff_ffff;
    format!("{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}")
}

pub fn now_secs() -> i64 {
    Utc::now().timestamp()
}

pub fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// BillerAPI timestamps: RFC 3339, UTC, whole seconds, `Z` (they sort as text).
pub fn format_secs(secs: i64) -> String {
    match DateTime::<Utc>::from_timestamp(secs, 0) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => String::from("1970-01-01T00:00:00Z"),
    }
}

/// Link Money timestamps: milliseconds and `Z`, like "2022-05-27T18:36:47.630Z".
pub fn format_millis(millis: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(millis) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => String::from("1970-01-01T00:00:00.000Z"),
    }
}

/// Webhook `creationTime`, in the offset style of the documented example
/// ("2017-09-14T17:14:39.688+0200").
pub fn format_webhook_time(millis: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(millis) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string(),
        None => String::from("1970-01-01T00:00:00.000+0000"),
    }
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Cents as the JSON number Link Money shows ("value": 12.5).
pub fn cents_to_value(cents: u64) -> f64 {
    cents as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_second_precision_utc() {
        assert_eq!(format_secs(1_775_037_600), "2026-04-01T10:00:00Z");
        assert_eq!(format_millis(1_653_676_607_630), "2022-05-27T18:36:47.630Z");
        assert_eq!(
            format_webhook_time(1_653_676_607_630),
            "2022-05-27T18:36:47.630+0000"
        );
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            html_escape("<img src=x onerror='a'>&\""),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;"
        );
    }
}
