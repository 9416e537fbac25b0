#!/usr/bin/env bash
# Installs what is missing, then checks formatting and lints and runs every
# test: unit, integration (real HTTP, real SQLite, real Secret Service) and
# end-to-end (the real window through tauri-driver under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== build"
cargo build --workspace --all-targets
echo "== tests (inside a private D-Bus session with gnome-keyring and Xvfb)"
exec dbus-run-session -- bash scripts/test-session.sh "$@"
