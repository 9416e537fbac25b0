#!/usr/bin/env bash
# Installs what is missing, then checks formatting and lints and runs every
# test: unit, integration (real HTTP, real SQLite, real Secret Service) and
# end-to-end (the real window through tauri-driver under Xvfb). With no
# arguments it also builds the .deb and .rpm and tests installing, running and
# removing the .deb (scripts/test-package.sh); LINKDESK_PACKAGE_TEST=skip
# leaves that out.
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
if [ $# -eq 0 ] && [ "${LINKDESK_PACKAGE_TEST:-}" != skip ]; then
  echo "== installers: build the .deb and .rpm, install, run and remove the .deb"
  bash scripts/test-package.sh
fi
echo "== tests (inside a private D-Bus session with gnome-keyring and Xvfb)"
exec dbus-run-session -- bash scripts/test-session.sh "$@"
