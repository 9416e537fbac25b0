//! Webhook subscriptions: the events Link Money documents and who wants which.

use std::collections::{BTreeMap, BTreeSet};

pub const EVENTS: [&str; 14] = [
    "customer.created",
    "customer.activated",
    "customer.deactivated",
    "customer.account.linked",
    "customer.account.deactivated",
    "payment.created",
    "payment.pending",
    "payment.authorized",
    "payment.scheduled",
    "payment.initiated",
    "payment.succeeded",
    "payment.disbursed",
    "payment.failed",
    "payment.canceled",
];

pub const CATEGORIES: [&str; 3] = ["ACCOUNT", "CUSTOMER", "PAYMENT"];

pub fn category_of(event: &str) -> &'static str {
    if event.starts_with("customer.account.") {
        "ACCOUNT"
    } else if event.starts_with("customer.") {
        "CUSTOMER"
    } else {
        "PAYMENT"
    }
}

pub struct Subscription {
    pub url: String,
    events: BTreeSet<&'static str>,
}

impl Subscription {
    pub fn wants(&self, event: &str) -> bool {
        self.events.contains(event)
    }
}

/// Keyed by subscription key; a BTreeMap so deliveries go out in a stable order.
#[derive(Default)]
pub struct Subscriptions {
    by_key: BTreeMap<String, Subscription>,
}

impl Subscriptions {
    pub fn add(&mut self, key: String, url: String, events: BTreeSet<&'static str>) {
        self.by_key.insert(key, Subscription { url, events });
    }

    /// Removes the events from one subscription, deleting it once it has none
    /// left; `false` when no subscription has that key.
    pub fn remove_events(&mut self, key: &str, events: &BTreeSet<&'static str>) -> bool {
        let Some(subscription) = self.by_key.get_mut(key) else {
            return false;
        };
        subscription.events.retain(|e| !events.contains(e));
        if subscription.events.is_empty() {
            self.by_key.remove(key);
        }
        true
    }

    /// Every subscription, in key order.
    pub fn iter(&self) -> impl Iterator<Item = &Subscription> {
        self.by_key.values()
    }
}
