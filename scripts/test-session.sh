#!/usr/bin/env bash
# Runs inside dbus-run-session (see test.sh): starts a real Secret Service and a
# virtual display for this run only, runs the tests, then stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

export HOME="$(mktemp -d)"          # a fresh keyring, never the user's own
export XDG_RUNTIME_DIR="$HOME/run"; mkdir -m 700 -p "$XDG_RUNTIME_DIR"
export CARGO_HOME="${CARGO_HOME:-/root/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-/root/.rustup}"
printf 'linkdesk-test' | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
keyring=$!
for _ in $(seq 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && break
  sleep 0.2
done

display=":$((100 + RANDOM % 100))"
Xvfb "$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
cleanup() {
  kill "$xvfb" 2>/dev/null || true
  kill "$keyring" 2>/dev/null || true
  rm -rf "$HOME"
}
trap cleanup EXIT
export DISPLAY="$display"
export LINKDESK_E2E=required

cargo test --workspace "$@"
