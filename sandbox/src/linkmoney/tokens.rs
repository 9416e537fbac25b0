//! Link Money access tokens and their scopes, as `POST /v1/tokens` issues them.

use std::{collections::HashMap, time::Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Payments, refunds, credits and cancellations.
    Payment,
    /// Everything else.
    Core,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Self::Payment => "Link-Payment",
            Self::Core => "Link-Core",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        [Self::Payment, Self::Core]
            .into_iter()
            .find(|s| s.name() == text)
    }
}

#[derive(Default)]
pub struct AccessTokens {
    tokens: HashMap<String, (Scope, Instant)>,
}

const PRUNE_ABOVE: usize = 1024;

impl AccessTokens {
    pub fn insert(&mut self, token: String, scope: Scope, expires: Instant) {
        if self.tokens.len() >= PRUNE_ABOVE {
            let now = Instant::now();
            self.tokens.retain(|_, (_, e)| *e > now);
        }
        self.tokens.insert(token, (scope, expires));
    }

    pub fn scope_of(&self, token: &str, now: Instant) -> Option<Scope> {
        match self.tokens.get(token) {
            Some((scope, expires)) if now < *expires => Some(*scope),
            _ => None,
        }
    }
}
