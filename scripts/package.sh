#!/usr/bin/env bash
# Builds Linkdesk's Linux installers (.deb and .rpm) from a release build with
# the Tauri CLI. The CLI comes from the npm registry at a pinned version into
# target/tools, once; later runs reuse it. Prints the paths of the installers.
#
#   bash scripts/package.sh            # .deb and .rpm into target/release/bundle/
#   LINKDESK_BUNDLES=deb bash scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

TAURI_CLI_VERSION=2.12.6
tools="target/tools/tauri-cli-$TAURI_CLI_VERSION"
tauri="$tools/node_modules/.bin/tauri"
if [ ! -x "$tauri" ]; then
  echo "package: installing the Tauri CLI $TAURI_CLI_VERSION from npm"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error \
    "@tauri-apps/cli@$TAURI_CLI_VERSION"
fi
"$tauri" --version

bundles="${LINKDESK_BUNDLES:-deb,rpm}"
start=$(date +%s)
# CI=true makes the CLI ask nothing; the release profile is in Cargo.toml.
CI=true "$tauri" build --bundles "$bundles"
echo "package: release build and bundles took $(( $(date +%s) - start )) s"

ls -l target/release/linkdesk
find target/release/bundle -maxdepth 2 -type f \( -name '*.deb' -o -name '*.rpm' \) -newer Cargo.toml -exec ls -l {} +
