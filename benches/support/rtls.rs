//! The synthetic RTLs of the cache and start-up benchmarks: statuses, billers
//! and user IDs spread like a real client's, newest first.

use linkdesk::biller::{RequestToLink, RtlStatus};
use serde_json::json;

pub const BILLERS: [(&str, &str); 8] = [
    ("test_electric_company", "Test Electric Company"),
    ("city_water_utility", "City Water Utility"),
    ("metro_gas_co", "Metro Gas Co."),
    ("northern_telecom", "Northern Telecom"),
    ("sunrise_internet", "Sunrise Internet"),
    ("county_waste_services", "County Waste Services"),
    ("bright_mobile", "Bright Mobile"),
    ("evergreen_insurance", "Evergreen Insurance"),
];
pub const STATUSES: [RtlStatus; 5] = RtlStatus::DOCUMENTED;
const SOURCES: [&str; 3] = ["onboarding", "support", "email"];

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALPHABET[(self.next() % 36) as usize] as char)
            .collect()
    }
}

/// RTL number `i`, newest first as a sync would bring them.
pub fn make_rtl(rng: &mut Rng, i: usize, n: usize) -> RequestToLink {
    let r = rng.next();
    let status = STATUSES[(r % 5) as usize].clone();
    let created =
        chrono::DateTime::from_timestamp(1_780_000_000 - (i as i64) * 31, 0).unwrap_or_default();
    let updated = created + chrono::Duration::seconds((r >> 8) as i64 % 86_400);
    let linked = !matches!(status, RtlStatus::Pending);
    let token = format!("lt_{}", rng.token(20));
    RequestToLink {
        id: format!("rtl_{}", rng.token(20)),
        client_id: "client_4f2a9c".into(),
        client_user_id: format!("user_{}", (r >> 16) % (n as u64 / 3).max(1)),
        biller_id: Some(BILLERS[((r >> 40) % 8) as usize].0.into()),
        status,
        link_token_id: linked.then(|| token.clone()),
        session_url: linked.then(|| format!("https://link.billerapi.com/session/{token}")),
        metadata: Some(json!({ "source": SOURCES[((r >> 50) % 3) as usize] })),
        created_at: Some(created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        updated_at: Some(updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    }
}
