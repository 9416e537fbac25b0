#!/usr/bin/env bash
# Installs what building, running and testing Linkdesk needs on Debian 12, as root.
# Idempotent: every step checks first and does nothing when already done.
set -euo pipefail

PACKAGES=(
  libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev librsvg2-dev
  libayatana-appindicator3-dev webkit2gtk-driver xvfb xauth dbus-x11
  gnome-keyring libsecret-tools imagemagick curl tinyproxy python3
  postgresql
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm brings the Tauri CLI that scripts/package.sh builds the installers with.
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing npm"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi
if ! rustup component list --installed 2>/dev/null | grep -q '^clippy'; then
  rustup component add clippy rustfmt
fi
echo "setup: ready"
