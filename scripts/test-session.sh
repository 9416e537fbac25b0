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
# A real forward proxy for tests/corporate_network.rs, on a free loopback port,
# logging every request it passes on.
proxy_dir="$HOME/tinyproxy"; mkdir -p "$proxy_dir"
proxy_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$proxy_dir/tinyproxy.conf" <<EOF
Port $proxy_port
Listen 127.0.0.1
Allow 127.0.0.1
Timeout 60
MaxClients 100
LogFile "$proxy_dir/tinyproxy.log"
LogLevel Info
EOF
tinyproxy -d -c "$proxy_dir/tinyproxy.conf" >/dev/null 2>&1 &
proxy=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$proxy_port") 2>/dev/null && break
  sleep 0.1
done
export LINKDESK_TEST_PROXY="http://127.0.0.1:$proxy_port"
export LINKDESK_TEST_PROXY_LOG="$proxy_dir/tinyproxy.log"

# A throw-away PostgreSQL cluster for the team store tests, on a free
# loopback port, removed with everything else (see scripts/team-pg.sh).
pgdir="$(mktemp -d /tmp/linkdesk-pg.XXXXXX)"
chmod 755 "$pgdir"
cleanup() {
  kill "$proxy" 2>/dev/null || true
  bash scripts/team-pg.sh remove "$pgdir/cluster" 2>/dev/null || true
  rm -rf "$pgdir"
  kill "$xvfb" 2>/dev/null || true
  kill "$keyring" 2>/dev/null || true
  rm -rf "$HOME"
}
trap cleanup EXIT
pgenv="$(bash scripts/team-pg.sh start "$pgdir/cluster")"
eval "$pgenv"
export DISPLAY="$display"
export LINKDESK_E2E=required

# With no arguments: every unit, integration and end-to-end test (doc tests and
# benchmarks are not tests here). Arguments pick a subset, e.g. --test e2e_rtl.
[ $# -gt 0 ] || set -- --lib --bins --tests
log="$HOME/cargo-test.log"
status=0
cargo test --workspace "$@" 2>&1 | tee "$log" || status=$?
passed=$(grep '^test result:' "$log" | grep -o '[0-9]* passed' | awk '{s += $1} END {print s + 0}')
failed=$(grep '^test result:' "$log" | grep -o '[0-9]* failed' | awk '{s += $1} END {print s + 0}')
echo
echo "linkdesk: $passed passed, $failed failed"
exit "$status"
