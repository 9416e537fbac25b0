//! Hearing the screen being locked, on the REAL session bus: the test command
//! (`scripts/test-session.sh`) runs every test inside its own
//! `dbus-run-session`. Without a session bus this test fails and says so.
#![cfg(target_os = "linux")]

use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

const MARKER: &str = "org.mate.ScreenSaver";

#[test]
fn a_screen_saver_coming_on_is_heard_and_going_off_is_not() {
    let conn = zbus::blocking::Connection::session().unwrap_or_else(|e| {
        panic!("No session D-Bus ({e}): run this inside dbus-run-session, e.g. scripts/test-session.sh")
    });
    let (tx, rx) = mpsc::channel::<String>();
    let tx = Mutex::new(tx);
    linkdesk::screen_lock::watch(move |signal| {
        let _ = tx.lock().unwrap().send(signal.to_string());
    });
    let emit = |interface: &str, active: bool| {
        conn.emit_signal(
            None::<&str>,
            "/org/freedesktop/ScreenSaver",
            interface,
            "ActiveChanged",
            &active,
        )
        .unwrap()
    };

    // The listener subscribes in the background: repeat a marker until heard.
    let mut heard = None;
    for _ in 0..200 {
        emit(MARKER, true);
        if let Ok(signal) = rx.recv_timeout(Duration::from_millis(100)) {
            heard = Some(signal);
            break;
        }
    }
    assert_eq!(
        heard.as_deref(),
        Some("org.mate.ScreenSaver.ActiveChanged"),
        "the screen saver signal was never heard"
    );

    // Signals from one sender arrive in order: the screen saver going off
    // must not be taken for a lock, the GNOME one coming on must.
    emit("org.freedesktop.ScreenSaver", false);
    emit("org.gnome.ScreenSaver", true);
    let next = loop {
        let signal = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the GNOME screen saver signal was never heard");
        if !signal.starts_with(MARKER) {
            break signal;
        }
    };
    assert_eq!(next, "org.gnome.ScreenSaver.ActiveChanged");
}
