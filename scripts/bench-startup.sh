#!/usr/bin/env bash
# Start-up as a person sees it, in pixels: release builds of Linkdesk (empty
# cache and a big one) and of the reference empty Tauri 2 window
# (benches/empty-window), launched in turn under Xvfb; plus a sync measured
# against its budget meanwhile. What is measured and how: benches/startup.rs.
#   RUNS=7                      launches of each
#   LINKDESK_BENCH_RTLS=1000000 RTLs in the big cache (seeded once under target/; 0: none)
#   LINKDESK_BIN=path           measure this Linkdesk binary (an older build) instead
#   SYNC_SECS=180               the sync's window (0: no sync)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v Xvfb >/dev/null || bash scripts/setup.sh
cargo build --release --bins -p linkdesk -p linkdesk-empty-window
cargo bench --bench startup --no-run
display=":$((150 + RANDOM % 50))"
Xvfb "$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true' EXIT
sleep 1
DISPLAY="$display" cargo bench --bench startup
