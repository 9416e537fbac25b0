#!/usr/bin/env bash
# Measures how long Linkdesk takes from launch to the first RTL rows on screen,
# on the embedded sandbox, under Xvfb. Runs it RUNS times (default 5) with a
# fresh data directory each time and prints each figure and the median.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --bin linkdesk >/dev/null
runs="${RUNS:-5}"
display=":$((150 + RANDOM % 50))"
Xvfb "$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true' EXIT
sleep 1
figures=()
for i in $(seq "$runs"); do
  dir="$(mktemp -d)"
  # Its own process group, so the app and the D-Bus helpers it starts all stop.
  DISPLAY="$display" LINKDESK_DATA_DIR="$dir" setsid dbus-run-session -- target/debug/linkdesk >"$dir/out.log" 2>&1 &
  pid=$!
  ms=""
  for _ in $(seq 300); do
    ms=$(grep -o 'first rows on screen [0-9]* ms' "$dir/out.log" 2>/dev/null | grep -o '[0-9]*' | head -1 || true)
    [ -n "$ms" ] && break
    sleep 0.1
  done
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -rf "$dir"
  echo "run $i: ${ms:-no rows within 30 s} ms"
  [ -n "$ms" ] && figures+=("$ms")
done
[ ${#figures[@]} -gt 0 ] || { echo "no run showed rows"; exit 1; }
median=$(printf '%s\n' "${figures[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "launch to first rows (debug build, embedded sandbox): median ${median} ms over ${#figures[@]} runs"
