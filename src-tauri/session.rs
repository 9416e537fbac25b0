//! The active environment's live connection: its API clients, built from the
//! settings and the keyring when it becomes active, and the production guard.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::biller::{BillerClient, BillerCredentials};
use crate::environments::{EnvKind, Environment};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::linkmoney::{LinkMoneyClient, TokenManager};
use crate::secrets::{self, SecretSlot, SecretString};

/// A production environment locks itself again after this long without an
/// action of the person (a write, or a click or key press in the window).
pub const UNLOCK_IDLE: Duration = Duration::from_secs(15 * 60);

/// The wall clock and the monotonic clock may drift apart by this much between
/// two looks at the guard before it counts as a jump (a suspend, or the clock
/// being set) and relocks.
pub const CLOCK_JUMP_MARGIN: Duration = Duration::from_secs(30);

/// What the UI knows of an environment (no secret, ever).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvSummary {
    pub id: String,
    pub name: String,
    pub kind: EnvKind,
    pub biller_url: String,
    pub linkmoney_url: String,
    pub merchant_id: String,
    /// BillerAPI link operations a minute (see `Environment`).
    pub link_ops_per_minute: u32,
    pub builtin: bool,
}

pub struct Session {
    pub env: EnvSummary,
    biller: Result<BillerClient, AppError>,
    linkmoney: Result<LinkMoneyClient, AppError>,
    pub guard: WriteGuard,
}

impl Session {
    /// A session whose credentials are given directly (the built-in sandbox).
    pub fn with_credentials(
        http: &reqwest::Client,
        env: Environment,
        builtin: bool,
        biller_secret: Option<SecretString>,
        linkmoney_secret: Option<SecretString>,
    ) -> Session {
        let biller = match biller_secret {
            _ if env.biller_client_id.is_empty() => {
                Err(not_configured(&env.name, "BillerAPI client ID"))
            }
            None => Err(not_configured(&env.name, "BillerAPI client secret")),
            Some(secret) => BillerClient::new(
                http.clone(),
                &env.biller_url,
                BillerCredentials {
                    client_id: env.biller_client_id.clone(),
                    client_secret: secret.expose().to_string(),
                },
            ),
        };
        let linkmoney = match linkmoney_secret {
            _ if env.linkmoney_client_id.is_empty() => {
                Err(not_configured(&env.name, "Link Money client ID"))
            }
            None => Err(not_configured(&env.name, "Link Money client secret")),
            Some(secret) => TokenManager::new(
                http.clone(),
                &env.linkmoney_url,
                &env.linkmoney_client_id,
                secret,
            )
            .and_then(|tokens| {
                LinkMoneyClient::new(
                    http.clone(),
                    &env.linkmoney_url,
                    &env.merchant_id,
                    Arc::new(tokens),
                )
            }),
        };
        Session {
            guard: WriteGuard::new(env.kind == EnvKind::Production),
            env: EnvSummary {
                id: env.id,
                name: env.name,
                kind: env.kind,
                biller_url: env.biller_url,
                linkmoney_url: env.linkmoney_url,
                merchant_id: env.merchant_id,
                link_ops_per_minute: env.link_ops_per_minute,
                builtin,
            },
            biller,
            linkmoney,
        }
    }

    /// A stored environment: its secrets come from the keyring. A keyring that
    /// cannot be read leaves that service unconfigured with the keyring's message.
    pub fn from_keyring(http: &reqwest::Client, env: Environment) -> Session {
        let read = |slot| secrets::get(&secrets::account(&env.id, slot));
        let biller = read(SecretSlot::BillerClientSecret);
        let linkmoney = read(SecretSlot::LinkMoneyClientSecret);
        let keyring_error = biller.as_ref().err().or(linkmoney.as_ref().err()).cloned();
        let mut session = Session::with_credentials(
            http,
            env,
            false,
            biller.ok().flatten(),
            linkmoney.ok().flatten(),
        );
        if let Some(e) = keyring_error {
            session.biller = Err(e.clone());
            session.linkmoney = Err(e);
        }
        session
    }

    pub fn biller(&self) -> AppResult<&BillerClient> {
        self.biller.as_ref().map_err(Clone::clone)
    }

    pub fn linkmoney(&self) -> AppResult<&LinkMoneyClient> {
        self.linkmoney.as_ref().map_err(Clone::clone)
    }
}

fn not_configured(env: &str, what: &str) -> AppError {
    AppError::new(
        ErrorCode::Unauthorized,
        format!("No {what} is saved for \"{env}\". Add it in Settings."),
    )
}

/// The two clocks the guard reads. Idle time is wall-clock time, so a
/// suspended laptop counts (the monotonic clock stands still during a suspend
/// on Linux); the monotonic clock is only there to notice that the wall clock
/// jumped.
pub trait Clock: Send + Sync {
    fn wall(&self) -> SystemTime;
    fn monotonic(&self) -> Instant;
}

/// The real clocks.
pub struct SystemClock;

impl Clock for SystemClock {
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

/// Production opens read-only; typing the environment's name unlocks writes
/// until 15 minutes pass without an action of the person, the clock jumps
/// (a suspend), the screen is locked, or another environment is chosen (a new
/// session starts locked). Reads and the window's polls never keep it alive.
pub struct WriteGuard {
    production: bool,
    clock: Arc<dyn Clock>,
    state: Mutex<GuardState>,
}

struct GuardState {
    unlocked: bool,
    /// Wall-clock time of the person's last action.
    last_activity: SystemTime,
    /// Both clocks as read at the last look, to notice a jump.
    seen_wall: SystemTime,
    seen_monotonic: Instant,
}

impl WriteGuard {
    pub fn new(production: bool) -> Self {
        Self::with_clock(production, Arc::new(SystemClock))
    }

    pub fn with_clock(production: bool, clock: Arc<dyn Clock>) -> Self {
        let (wall, monotonic) = (clock.wall(), clock.monotonic());
        Self {
            production,
            clock,
            state: Mutex::new(GuardState {
                unlocked: false,
                last_activity: wall,
                seen_wall: wall,
                seen_monotonic: monotonic,
            }),
        }
    }

    /// Reads the clocks and relocks if the unlock ran out or a clock jumped;
    /// returns the state (still locked by the caller) and the wall-clock now.
    fn look(&self) -> (std::sync::MutexGuard<'_, GuardState>, SystemTime) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (wall, monotonic) = (self.clock.wall(), self.clock.monotonic());
        if s.unlocked {
            let jumped = clock_jumped(s.seen_wall, s.seen_monotonic, wall, monotonic);
            // A wall clock before the last action went backwards: relock too.
            let idle = wall
                .duration_since(s.last_activity)
                .map_or(true, |idle| idle >= UNLOCK_IDLE);
            if jumped || idle {
                s.unlocked = false;
                tracing::info!(
                    reason = if jumped { "clock jump" } else { "idle" },
                    "production writes locked again"
                );
            }
        }
        s.seen_wall = wall;
        s.seen_monotonic = monotonic;
        (s, wall)
    }

    /// An action of the person in the window (a click or a key press) keeps
    /// an unlock alive; it never revives one that has run out.
    pub fn note_activity(&self) {
        let (mut s, now) = self.look();
        if s.unlocked {
            s.last_activity = now;
        }
    }

    pub fn writable(&self) -> bool {
        !self.production || self.look().0.unlocked
    }

    /// Refuses a write to a locked production environment; a write that
    /// passes counts as the person's action.
    pub fn ensure_writable(&self, env_name: &str) -> AppResult<()> {
        if !self.production {
            return Ok(());
        }
        let (mut s, now) = self.look();
        if s.unlocked {
            s.last_activity = now;
            return Ok(());
        }
        Err(AppError::new(
            ErrorCode::ProductionLocked,
            format!("\"{env_name}\" is production and locked: nothing was sent. Unlock writes by typing the environment's name."),
        ))
    }

    pub fn unlock(&self, env_name: &str, typed: &str) -> AppResult<()> {
        if typed.trim() != env_name {
            return Err(AppError::invalid(format!(
                "Type the environment's name exactly (\"{env_name}\") to unlock writes"
            )));
        }
        let (mut s, now) = self.look();
        s.unlocked = true;
        s.last_activity = now;
        Ok(())
    }

    pub fn lock(&self) {
        self.look().0.unlocked = false;
    }
}

/// Whether the wall clock went backwards, or moved more (or less) than the
/// monotonic clock by over `CLOCK_JUMP_MARGIN`, between two looks.
fn clock_jumped(
    seen_wall: SystemTime,
    seen_monotonic: Instant,
    wall: SystemTime,
    monotonic: Instant,
) -> bool {
    let Ok(wall_moved) = wall.duration_since(seen_wall) else {
        return true;
    };
    let monotonic_moved = monotonic.saturating_duration_since(seen_monotonic);
    wall_moved.abs_diff(monotonic_moved) > CLOCK_JUMP_MARGIN
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clocks the test moves by hand: `advance` moves both (time passing while
    /// the machine runs), `suspend` only the wall clock, `set_wall_back` turns
    /// the wall clock back.
    struct TestClock {
        wall: Mutex<SystemTime>,
        monotonic: Mutex<Instant>,
    }

    impl TestClock {
        fn new() -> Arc<Self> {
            Arc::new(Self {
                wall: Mutex::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)),
                monotonic: Mutex::new(Instant::now()),
            })
        }

        fn advance(&self, by: Duration) {
            *self.wall.lock().unwrap() += by;
            *self.monotonic.lock().unwrap() += by;
        }

        fn suspend(&self, by: Duration) {
            *self.wall.lock().unwrap() += by;
        }

        fn set_wall_back(&self, by: Duration) {
            *self.wall.lock().unwrap() -= by;
        }
    }

    impl Clock for TestClock {
        fn wall(&self) -> SystemTime {
            *self.wall.lock().unwrap()
        }

        fn monotonic(&self) -> Instant {
            *self.monotonic.lock().unwrap()
        }
    }

    const MINUTE: Duration = Duration::from_secs(60);

    fn unlocked_guard() -> (WriteGuard, Arc<TestClock>) {
        let clock = TestClock::new();
        let guard = WriteGuard::with_clock(true, clock.clone());
        guard.unlock("Prod EU", "Prod EU").unwrap();
        (guard, clock)
    }

    #[test]
    fn sandboxes_are_writable_and_production_is_not() {
        assert!(WriteGuard::new(false).writable());
        WriteGuard::new(false).ensure_writable("Sandbox").unwrap();
        let guard = WriteGuard::new(true);
        assert!(!guard.writable());
        assert_eq!(
            guard.ensure_writable("Prod").unwrap_err().code,
            ErrorCode::ProductionLocked
        );
    }

    #[test]
    fn unlocking_needs_the_exact_name() {
        let guard = WriteGuard::with_clock(true, TestClock::new());
        assert!(guard.unlock("Prod EU", "prod eu").is_err());
        assert!(!guard.writable());
        guard.unlock("Prod EU", " Prod EU ").unwrap();
        assert!(guard.writable());
        guard.lock();
        assert!(!guard.writable());
    }

    #[test]
    fn polls_and_reads_do_not_keep_an_unlock_alive() {
        let (guard, clock) = unlocked_guard();
        // The window asks every 30 seconds; nobody touches anything.
        for _ in 0..(14 * 2) {
            clock.advance(Duration::from_secs(30));
            assert!(guard.writable());
        }
        clock.advance(MINUTE);
        assert!(!guard.writable(), "15 minutes without the person's action");
        assert_eq!(
            guard.ensure_writable("Prod EU").unwrap_err().code,
            ErrorCode::ProductionLocked
        );
    }

    #[test]
    fn the_persons_actions_keep_it_alive_but_never_revive_it() {
        let (guard, clock) = unlocked_guard();
        for _ in 0..6 {
            clock.advance(10 * MINUTE);
            guard.note_activity();
        }
        clock.advance(10 * MINUTE);
        guard.ensure_writable("Prod EU").unwrap();
        clock.advance(14 * MINUTE);
        assert!(guard.writable(), "a write counts as an action");
        clock.advance(MINUTE);
        guard.note_activity();
        assert!(!guard.writable(), "too late: activity does not unlock");
    }

    #[test]
    fn a_suspend_relocks_at_once() {
        let (guard, clock) = unlocked_guard();
        clock.advance(MINUTE);
        guard.note_activity();
        // Two minutes asleep: well inside 15 minutes, but the clocks disagree.
        clock.suspend(2 * MINUTE);
        assert!(!guard.writable());
    }

    #[test]
    fn idle_time_is_wall_clock_time() {
        let (guard, clock) = unlocked_guard();
        // The wall clock moves and the monotonic one does not, each step too
        // small to be a jump: only wall-clock time reaches 15 minutes.
        for _ in 0..(15 * 60 / 25 - 1) {
            clock.suspend(Duration::from_secs(25));
            assert!(guard.writable());
        }
        clock.suspend(Duration::from_secs(25));
        assert!(!guard.writable());
    }

    #[test]
    fn the_wall_clock_going_back_relocks_at_once() {
        let (guard, clock) = unlocked_guard();
        clock.advance(MINUTE);
        assert!(guard.writable());
        clock.set_wall_back(Duration::from_secs(5));
        assert!(!guard.writable());
        guard.note_activity();
        assert!(!guard.writable());
    }

    #[test]
    fn small_drift_between_the_clocks_is_not_a_jump() {
        let (guard, clock) = unlocked_guard();
        clock.advance(MINUTE);
        clock.suspend(Duration::from_secs(20));
        assert!(guard.writable());
        guard.unlock("Prod EU", "Prod EU").unwrap();
        clock.suspend(CLOCK_JUMP_MARGIN + Duration::from_secs(1));
        assert!(!guard.writable());
    }
}
