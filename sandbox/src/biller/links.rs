//! Link tokens, public tokens and access tokens, as the link integration guide
//! describes: link and public tokens live 30 minutes, public tokens are single-use.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use rand::Rng;

use super::scenarios::Scenario;
use crate::util::{format_secs, now_secs, random_alnum};

pub const TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);

pub struct LinkToken {
    pub client_user_id: String,
    pub biller: Option<u16>,
    /// Set when the token came from proceeding a request-to-link.
    pub rtl_id: Option<u64>,
    pub expires: Instant,
    pub spent: bool,
}

pub struct PublicToken {
    pub biller: u16,
    pub scenario: Scenario,
    pub expires: Instant,
    pub used: bool,
}

#[derive(Clone)]
pub struct AccountLink {
    pub link_id: String,
    pub biller: u16,
    pub scenario: Scenario,
}

#[derive(Default)]
pub struct LinkState {
    link_tokens: HashMap<String, LinkToken>,
    public_tokens: HashMap<String, PublicToken>,
    access_tokens: HashMap<String, AccountLink>,
}

/// Why a link token cannot open a session.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenProblem {
    Unknown,
    Expired,
    Spent,
}

pub struct Issued {
    pub token: String,
    pub expires_at: String,
}

fn expiry() -> (Instant, String) {
    (
        Instant::now() + TOKEN_LIFETIME,
        format_secs(now_secs() + TOKEN_LIFETIME.as_secs() as i64),
    )
}

impl LinkState {
    pub fn issue_link_token(
        &mut self,
        rng: &mut impl Rng,
        client_user_id: String,
        biller: Option<u16>,
        rtl_id: Option<u64>,
    ) -> Issued {
        let token = format!("lt_{}", random_alnum(rng, 24));
        let (expires, expires_at) = expiry();
        self.link_tokens.insert(
            token.clone(),
            LinkToken {
                client_user_id,
                biller,
                rtl_id,
                expires,
                spent: false,
            },
        );
        Issued { token, expires_at }
    }

    pub fn link_token(&self, token: &str, now: Instant) -> Result<&LinkToken, TokenProblem> {
        let found = self.link_tokens.get(token).ok_or(TokenProblem::Unknown)?;
        if found.spent {
            Err(TokenProblem::Spent)
        } else if now >= found.expires {
            Err(TokenProblem::Expired)
        } else {
            Ok(found)
        }
    }

    /// A completed session spends its link token and yields a public token.
    pub fn complete_session(
        &mut self,
        rng: &mut impl Rng,
        link_token: &str,
        biller: u16,
        scenario: Scenario,
    ) -> Issued {
        if let Some(t) = self.link_tokens.get_mut(link_token) {
            t.spent = true;
        }
        let token = format!("public-sandbox-{}", random_alnum(rng, 24));
        let (expires, expires_at) = expiry();
        self.public_tokens.insert(
            token.clone(),
            PublicToken {
                biller,
                scenario,
                expires,
                used: false,
            },
        );
        Issued { token, expires_at }
    }

    /// Exchanges a public token once; returns (access token, link).
    pub fn exchange(
        &mut self,
        rng: &mut impl Rng,
        public_token: &str,
        now: Instant,
    ) -> Option<(String, &AccountLink)> {
        let found = self.public_tokens.get_mut(public_token)?;
        if found.used || now >= found.expires {
            return None;
        }
        found.used = true;
        let link = AccountLink {
            link_id: format!("link_{}", random_alnum(rng, 16)),
            biller: found.biller,
            scenario: found.scenario,
        };
        let access = format!("access-sandbox-{}", random_alnum(rng, 32));
        self.access_tokens.insert(access.clone(), link);
        let link = self.access_tokens.get(&access)?;
        Some((access, link))
    }

    pub fn account_link(&self, access_token: &str) -> Option<&AccountLink> {
        self.access_tokens.get(access_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn link_tokens_expire_and_are_spent_by_a_session() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut state = LinkState::default();
        let issued = state.issue_link_token(&mut rng, "u".into(), None, None);
        let now = Instant::now();
        assert!(state.link_token(&issued.token, now).is_ok());
        assert_eq!(
            state.link_token(&issued.token, now + TOKEN_LIFETIME).err(),
            Some(TokenProblem::Expired)
        );
        assert_eq!(
            state.link_token("lt_nope", now).err(),
            Some(TokenProblem::Unknown)
        );
        state.complete_session(&mut rng, &issued.token, 0, Scenario::Success);
        assert_eq!(
            state.link_token(&issued.token, now).err(),
            Some(TokenProblem::Spent)
        );
    }

    #[test]
    fn public_tokens_are_single_use_and_expire() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut state = LinkState::default();
        let link = state.issue_link_token(&mut rng, "u".into(), Some(0), None);
        let public = state.complete_session(&mut rng, &link.token, 0, Scenario::AutoPay);
        let later = Instant::now() + TOKEN_LIFETIME;
        assert!(state.exchange(&mut rng, &public.token, later).is_none());
        let (access, account) = state
            .exchange(&mut rng, &public.token, Instant::now())
            .map(|(a, l)| (a, l.scenario))
            .unwrap();
        assert_eq!(account, Scenario::AutoPay);
        assert!(state.account_link(&access).is_some());
        assert!(state
            .exchange(&mut rng, &public.token, Instant::now())
            .is_none());
    }
}
