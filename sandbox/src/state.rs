//! Everything the handlers share. Each store sits behind its own std lock, held
//! only for synchronous work (never across `.await`). When two are needed the
//! order is always: request-to-link store, link tokens, Link Money store,
//! Link Money tokens, webhooks, and the random generators last.
//!
//! Layering: the stores held here live in files that import neither this
//! module nor any route; the routes (and the middleware) import this module.

use std::{
    io,
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use chrono::Utc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{
    biller::{links::LinkState, rtl_seed::seed_rtls, rtl_store::RtlStore},
    linkmoney::{
        seed::seed_money, store::MoneyStore, subscriptions::Subscriptions, tokens::AccessTokens,
    },
    options::Options,
    ratelimit::RateLimiter,
    util::lock,
};

pub type SharedState = Arc<AppState>;

pub struct AppState {
    pub options: Options,
    pub base_url: String,
    /// Start of the anchor day (unix seconds): seeded data lies before it.
    pub anchor: i64,
    pub rtls: RwLock<RtlStore>,
    pub links: Mutex<LinkState>,
    pub money: Mutex<MoneyStore>,
    pub access_tokens: Mutex<AccessTokens>,
    pub webhooks: Mutex<Subscriptions>,
    pub limiter: RateLimiter,
    pub http: reqwest::Client,
    /// New identifiers and tokens.
    ids: Mutex<ChaCha8Rng>,
    /// Fault decisions, apart from `ids` so that faults do not change identifiers.
    faults: Mutex<ChaCha8Rng>,
}

impl AppState {
    pub fn new(options: Options, base_url: String) -> io::Result<Self> {
        let day = options
            .anchor_date
            .unwrap_or_else(|| Utc::now().date_naive());
        let anchor = day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
        let (records, users) = seed_rtls(options.seed, options.rtls, anchor);
        let rtls = RtlStore::new(options.biller_client_id.clone(), records, users);
        let money = seed_money(options.seed, options.customers, anchor);
        // Webhook deliveries go straight to the subscriber, never via a proxy,
        // and no redirect is followed: a loopback URL cannot send them on to
        // another machine.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(io::Error::other)?;
        Ok(AppState {
            limiter: RateLimiter::new(!options.no_rate_limit, options.link_ops_per_minute),
            ids: Mutex::new(ChaCha8Rng::seed_from_u64(options.seed ^ 0x6964_7321)),
            faults: Mutex::new(ChaCha8Rng::seed_from_u64(options.seed ^ 0x6661_756c)),
            options,
            base_url,
            anchor,
            rtls: RwLock::new(rtls),
            links: Mutex::new(LinkState::default()),
            money: Mutex::new(money),
            access_tokens: Mutex::new(AccessTokens::default()),
            webhooks: Mutex::new(Subscriptions::default()),
            http,
        })
    }

    pub fn with_rng<T>(&self, f: impl FnOnce(&mut ChaCha8Rng) -> T) -> T {
        f(&mut lock(&self.ids))
    }

    /// True with the given probability (0 never, 1 always).
    pub fn roll_fault(&self, probability: f64) -> bool {
        if probability <= 0.0 {
            return false;
        }
        probability >= 1.0 || lock(&self.faults).gen::<f64>() < probability
    }
}
