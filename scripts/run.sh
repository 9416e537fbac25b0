#!/usr/bin/env bash
# Installs what is missing, builds Linkdesk and opens it on the embedded sandbox.
# With no display (a server, CI), the window opens under Xvfb; set
# LINKDESK_SCREENSHOT=path.png to save a picture of it after a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --bin linkdesk
app=target/debug/linkdesk

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$app"
fi

echo "run: no display; opening Linkdesk under Xvfb"
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true' EXIT
export DISPLAY="$display"
sleep 1
if [ -n "${LINKDESK_SCREENSHOT:-}" ]; then
  "$app" &
  app_pid=$!
  sleep "${LINKDESK_SCREENSHOT_DELAY:-8}"
  import -window root "$LINKDESK_SCREENSHOT"
  echo "run: screenshot saved to $LINKDESK_SCREENSHOT"
  kill "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
else
  "$app"
fi
