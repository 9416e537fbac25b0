//! Deterministic demo request-to-link records: the same seed and anchor give the
//! same records, byte for byte.

use std::{collections::HashSet, sync::Arc};

use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::{
    catalog::BILLERS,
    rtl_model::{Rtl, RtlStatus, ID_SPACE},
    users::Users,
};
use crate::util::random_alnum;

const DAY: i64 = 86_400;
const SPAN: i64 = 90 * DAY;

/// Records spread over the 90 days before `anchor` (unix seconds), each with
/// its own second where the count allows.
pub fn seed_rtls(seed: u64, count: usize, anchor: i64) -> (Vec<Rtl>, Users) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5254_4c5f_7365_6564);
    let mut users = Users::default();
    let pool: Vec<u32> = user_pool(&mut rng, count)
        .iter()
        .map(|name| users.intern(name))
        .collect();
    let hostile: Vec<u32> = HOSTILE_USERS
        .iter()
        .map(|name| users.intern(name))
        .collect();
    let palette = metadata_palette();
    let mut ids = HashSet::with_capacity(count);
    let count_i = i128::try_from(count).unwrap_or(i128::MAX).max(1);
    let slot = (SPAN / i64::try_from(count).unwrap_or(i64::MAX).max(1)).max(1);
    let mut records = Vec::with_capacity(count);
    for i in 0..count {
        let start =
            anchor - SPAN + i64::try_from(i128::from(SPAN) * i as i128 / count_i).unwrap_or(0);
        let created_at = (start + rng.gen_range(0..slot)).min(anchor - 1);
        let id = loop {
            let candidate = rng.gen_range(0..ID_SPACE);
            if ids.insert(candidate) {
                break candidate;
            }
        };
        let age_days = (anchor - created_at) / DAY;
        // The first five cover every status even in a tiny sandbox.
        let status = RtlStatus::ALL
            .get(i)
            .copied()
            .unwrap_or_else(|| pick_status(&mut rng, age_days));
        let biller = if (status == RtlStatus::Pending && rng.gen_bool(0.3)) || rng.gen_bool(0.05) {
            None
        } else {
            Some(rng.gen_range(0..BILLERS.len()) as u16)
        };
        let went_to_session = match status {
            RtlStatus::InProgress | RtlStatus::Completed => true,
            RtlStatus::Cancelled | RtlStatus::Expired => rng.gen_bool(0.3),
            RtlStatus::Pending => false,
        };
        let link_token_id =
            went_to_session.then(|| format!("lt_{}", random_alnum(&mut rng, 24)).into());
        let updated_at = match status {
            RtlStatus::Pending => created_at,
            _ => created_at + rng.gen_range(0..=(anchor - 1 - created_at).clamp(0, 3 * DAY)),
        };
        let metadata = if rng.gen_bool(0.1) {
            None
        } else {
            palette.choose(&mut rng).cloned()
        };
        let user = if i % HOSTILE_EVERY == HOSTILE_EVERY / 2 {
            hostile[(i / HOSTILE_EVERY) % hostile.len()]
        } else {
            pool.choose(&mut rng).copied().unwrap_or(0)
        };
        records.push(Rtl {
            id,
            user,
            biller,
            status,
            link_token_id,
            // Seeded sessions expired long ago; a live URL comes from `proceed`.
            session_url: None,
            metadata,
            created_at,
            updated_at,
        });
    }
    (records, users)
}

fn pick_status(rng: &mut impl Rng, age_days: i64) -> RtlStatus {
    let roll = rng.gen_range(0..100);
    let weights: [(RtlStatus, i32); 5] = if age_days > 14 {
        [
            (RtlStatus::Completed, 55),
            (RtlStatus::Expired, 25),
            (RtlStatus::Cancelled, 12),
            (RtlStatus::Pending, 5),
            (RtlStatus::InProgress, 3),
        ]
    } else {
        [
            (RtlStatus::Completed, 40),
            (RtlStatus::Pending, 30),
            (RtlStatus::InProgress, 15),
            (RtlStatus::Cancelled, 10),
            (RtlStatus::Expired, 5),
        ]
    };
    let mut acc = 0;
    for (status, weight) in weights {
        acc += weight;
        if roll < acc {
            return status;
        }
    }
    RtlStatus::Completed
}

const FIRST_NAMES: [&str; 14] = [
    "maría",
    "josé",
    "zoë",
    "søren",
    "françois",
    "łukasz",
    "chloé",
    "anna",
    "li",
    "yuki",
    "olivia",
    "noah",
    "amélie",
    "björn",
];
const LAST_NAMES: [&str; 12] = [
    "gómez", "núñez", "müller", "øberg", "dubois", "kowalski", "tanaka", "smith", "o'brien",
    "nakamura", "garcía", "ivanova",
];
const DOMAINS: [&str; 4] = [
    "example.com",
    "example.org",
    "correo.example",
    "mail.example.jp",
];
/// A few users whose IDs look like markup or SQL, so every consumer must treat
/// them as text: one record in every `HOSTILE_EVERY` belongs to one of them.
const HOSTILE_USERS: [&str; 4] = [
    "<script>alert(1)</script>",
    "\"; DROP TABLE rtl; --",
    "<img src=x onerror=alert(1)>",
    "Robert'); DROP TABLE students;--",
];
const HOSTILE_EVERY: usize = 499;

/// About one user for every three records, so users recur across records.
fn user_pool(rng: &mut impl Rng, count: usize) -> Vec<String> {
    let size = (count / 3).max(16);
    (0..size)
        .map(|_| match rng.gen_range(0..100) {
            0..=44 => format!("user_{}", rng.gen_range(1000..100_000)),
            45..=64 => format!("acct-{}", rng.gen_range(10_000..100_000)),
            65..=74 => format!("cust_{:06x}", rng.gen_range(0..0x100_0000)),
            75..=77 => [
                "佐藤.太郎@example.jp",
                "山田花子@example.jp",
                "😀.fan@example.com",
            ][rng.gen_range(0..3)]
            .to_string(),
            _ => email(rng),
        })
        .collect()
}

fn email(rng: &mut impl Rng) -> String {
    let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
    let domain = DOMAINS[rng.gen_range(0..DOMAINS.len())];
    let number = rng.gen_range(0..100);
    if rng.gen_bool(0.3) {
        // Capitalised names make case-insensitive search matter.
        format!(
            "{}.{}{number}@{domain}",
            capitalise(first),
            capitalise(last)
        )
    } else {
        format!("{first}.{last}{number}@{domain}")
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn metadata_palette() -> Vec<Arc<Value>> {
    let plans = ["basic", "standard", "premium", "family", "business"];
    let sources = [
        "onboarding",
        "billing_page",
        "mobile_app",
        "support_agent",
        "email_campaign",
    ];
    let mut palette: Vec<Value> = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        for (j, plan) in plans.iter().enumerate() {
            let mut value = json!({"source": source, "plan": plan});
            if (i + j) % 3 == 0 {
                value["campaign"] = json!("spring_2026");
            }
            if (i + j) % 4 == 1 {
                value["attempt"] = json!(i + j);
            }
            palette.push(value);
        }
    }
    palette.extend([
        json!({"source": "onboarding", "plan": "básico", "note": "Cliente prefiere español — ñ"}),
        json!({"source": "mobile_app", "nickname": "日本語のメモ", "plan": "standard"}),
        json!({"source": "email_campaign", "greeting": "Welcome 🎉🔌", "locale": "fr-CA"}),
        json!({"source": "support_agent", "note": "<script>alert(1)</script>"}),
        json!({"source": "support_agent", "label": "<img src=x onerror=alert(1)>"}),
        json!({"source": "api", "comment": "\"; DROP TABLE rtl; --"}),
        json!({"source": "api", "tags": ["priority", "vip"], "nested": {"depth": 2, "ok": true}}),
        json!({"source": "onboarding", "plan": "premium", "referrer": "Zoë & Søren's <b>shop</b>"}),
    ]);
    palette.into_iter().map(Arc::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHOR: i64 = 1_775_001_600; // 2026-04-01T00:00:00Z

    #[test]
    fn same_seed_same_records() {
        let (a, _) = seed_rtls(7, 500, ANCHOR);
        let (b, _) = seed_rtls(7, 500, ANCHOR);
        let (c, _) = seed_rtls(8, 500, ANCHOR);
        let key = |r: &Rtl| (r.id, r.created_at, r.user, r.status);
        assert!(a.iter().map(key).eq(b.iter().map(key)));
        assert!(!a.iter().map(key).eq(c.iter().map(key)));
    }

    #[test]
    fn covers_the_window_statuses_and_distinct_seconds() {
        let (records, users) = seed_rtls(7, 2000, ANCHOR);
        assert!(records
            .iter()
            .all(|r| r.created_at < ANCHOR && r.created_at >= ANCHOR - SPAN));
        assert!(records
            .iter()
            .all(|r| r.updated_at >= r.created_at && r.updated_at < ANCHOR));
        for status in RtlStatus::ALL {
            assert!(records.iter().any(|r| r.status == status));
        }
        let seconds: HashSet<i64> = records.iter().map(|r| r.created_at).collect();
        assert_eq!(seconds.len(), records.len());
        assert!(records.iter().any(|r| r.metadata.is_none()));
        assert!(records.iter().any(|r| r.biller.is_none()));
        // Users recur, and a few hostile IDs are among them.
        assert!(users.records.len() < records.len());
        assert!(records
            .iter()
            .any(|r| users.name(r.user).contains("<script>")));
    }

    #[test]
    fn tiny_sandboxes_still_have_every_status() {
        let (records, _) = seed_rtls(1, 5, ANCHOR);
        for status in RtlStatus::ALL {
            assert!(records.iter().any(|r| r.status == status));
        }
        assert!(seed_rtls(1, 0, ANCHOR).0.is_empty());
    }
}
