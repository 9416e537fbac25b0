//! Hearing that the screen was locked, so production locks too.
//!
//! On Linux two signals say so. The desktop's screen saver announces
//! `ActiveChanged(true)` on the session D-Bus (`org.freedesktop.ScreenSaver`,
//! or the GNOME, MATE or Cinnamon interface of the same shape), and logind
//! sends its session's `Lock` on the system bus (`loginctl lock-session`,
//! setups such as xss-lock). Each is heard on a thread of its own. Without a
//! bus, or without logind, that listener logs why and ends: nothing panics and
//! the other listener keeps working. Other platforms hear neither; there the
//! 15 idle minutes and the clock checks still apply.

/// The screen saver interfaces whose `ActiveChanged(true)` means "locked".
pub const SCREEN_SAVER_INTERFACES: [&str; 4] = [
    "org.freedesktop.ScreenSaver",
    "org.gnome.ScreenSaver",
    "org.mate.ScreenSaver",
    "org.cinnamon.ScreenSaver",
];

/// Whether a session-bus signal says the screen saver came on.
pub fn is_screen_saver_on(
    interface: Option<&str>,
    member: Option<&str>,
    active: Option<bool>,
) -> bool {
    member == Some("ActiveChanged")
        && interface.is_some_and(|i| SCREEN_SAVER_INTERFACES.contains(&i))
        && active == Some(true)
}

/// Calls `on_lock` with the signal's name ("org.gnome.ScreenSaver.ActiveChanged",
/// "org.freedesktop.login1.Session.Lock") every time the screen is locked.
#[cfg(target_os = "linux")]
pub fn watch(on_lock: impl Fn(&str) + Send + Sync + 'static) {
    let on_lock = std::sync::Arc::new(on_lock);
    let for_logind = on_lock.clone();
    spawn("screen saver", move || linux::screen_saver(&*on_lock));
    spawn("logind", move || linux::logind(&*for_logind));
}

#[cfg(not(target_os = "linux"))]
pub fn watch(_on_lock: impl Fn(&str) + Send + Sync + 'static) {}

#[cfg(target_os = "linux")]
fn spawn(what: &'static str, listen: impl FnOnce() -> zbus::Result<()> + Send + 'static) {
    let started = std::thread::Builder::new()
        .name(format!("screen-lock ({what})"))
        .spawn(move || match listen() {
            Ok(()) => tracing::info!(listener = what, "no longer hearing screen locks"),
            Err(e) => {
                tracing::info!(listener = what, error = %e, "screen locks are not heard from here")
            }
        });
    if let Err(e) = started {
        tracing::warn!(listener = what, error = %e, "could not listen for screen locks");
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use zbus::blocking::{Connection, MessageIterator};
    use zbus::message::Type;
    use zbus::zvariant::OwnedObjectPath;
    use zbus::MatchRule;

    pub fn screen_saver(on_lock: &dyn Fn(&str)) -> zbus::Result<()> {
        let conn = Connection::session()?;
        let rule = MatchRule::builder()
            .msg_type(Type::Signal)
            .member("ActiveChanged")?
            .build();
        let signals = MessageIterator::for_match_rule(rule, &conn, None)?;
        tracing::debug!("listening for the screen saver on the session bus");
        for message in signals {
            let message = message?;
            let header = message.header();
            let interface = header.interface().map(|i| i.as_str());
            let member = header.member().map(|m| m.as_str());
            let active = message.body().deserialize::<bool>().ok();
            if super::is_screen_saver_on(interface, member, active) {
                on_lock(&format!("{}.ActiveChanged", interface.unwrap_or_default()));
            }
        }
        Ok(())
    }

    pub fn logind(on_lock: &dyn Fn(&str)) -> zbus::Result<()> {
        let conn = Connection::system()?;
        let reply = conn.call_method(
            Some("org.freedesktop.login1"),
            "/org/freedesktop/login1",
            Some("org.freedesktop.login1.Manager"),
            "GetSessionByPID",
            &(std::process::id()),
        )?;
        let session: OwnedObjectPath = reply.body().deserialize()?;
        let rule = MatchRule::builder()
            .msg_type(Type::Signal)
            .interface("org.freedesktop.login1.Session")?
            .member("Lock")?
            .path(session.clone())?
            .build();
        let signals = MessageIterator::for_match_rule(rule, &conn, None)?;
        tracing::debug!(session = %session.as_str(), "listening for logind's Lock");
        for message in signals {
            message?;
            on_lock("org.freedesktop.login1.Session.Lock");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_screen_saver_coming_on_counts() {
        for interface in SCREEN_SAVER_INTERFACES {
            assert!(is_screen_saver_on(
                Some(interface),
                Some("ActiveChanged"),
                Some(true)
            ));
            assert!(!is_screen_saver_on(
                Some(interface),
                Some("ActiveChanged"),
                Some(false)
            ));
            assert!(!is_screen_saver_on(
                Some(interface),
                Some("ActiveChanged"),
                None
            ));
        }
        assert!(!is_screen_saver_on(
            Some("org.example.Player"),
            Some("ActiveChanged"),
            Some(true)
        ));
        assert!(!is_screen_saver_on(None, Some("ActiveChanged"), Some(true)));
        assert!(!is_screen_saver_on(
            Some("org.gnome.ScreenSaver"),
            Some("WakeUpScreen"),
            Some(true)
        ));
    }
}
