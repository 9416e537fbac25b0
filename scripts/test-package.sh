#!/usr/bin/env bash
# The installer as a support desk gets it: builds the .deb (scripts/package.sh),
# installs it with apt-get on this machine, starts the installed
# /usr/bin/linkdesk under Xvfb on its embedded demo sandbox until the window
# reports demo rows on screen, then removes the package and checks that every
# file it installed is gone. Run as root (CI is); scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

if dpkg-query -W -f='${Status}' linkdesk 2>/dev/null | grep -q 'install ok installed'; then
  echo "test-package: a linkdesk package is already installed here; remove it first" >&2
  exit 1
fi

# The test checks the packaging, not the optimiser: unless
# LINKDESK_PACKAGE_PROFILE=shipped, the release build is made without LTO and
# at opt-level 1 (Cargo's profile variables override Cargo.toml for this
# build only), which keeps the whole test command well under an hour on two
# cores from a clean clone. `bash scripts/package.sh` alone builds the
# shipped profile.
if [ "${LINKDESK_PACKAGE_PROFILE:-}" != shipped ]; then
  export CARGO_PROFILE_RELEASE_LTO=off
  export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=1
fi
LINKDESK_BUNDLES=deb,rpm bash scripts/package.sh
deb=$(ls -t target/release/bundle/deb/*.deb | head -1)
rpm=$(ls -t target/release/bundle/rpm/*.rpm | head -1)
echo "test-package: $deb ($(du -h "$deb" | cut -f1)), $rpm ($(du -h "$rpm" | cut -f1))"

work=$(mktemp -d)
xvfb=""
app=""
cleanup() {
  [ -z "$app" ] || kill "$app" 2>/dev/null || true
  [ -z "$xvfb" ] || kill "$xvfb" 2>/dev/null || true
  # Never leave the package behind, whatever failed.
  if dpkg-query -W -f='${Status}' linkdesk 2>/dev/null | grep -q 'install ok installed'; then
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -q linkdesk >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== apt-get install ./$deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" >"$work/apt-install.log"
test -x /usr/bin/linkdesk
dpkg-query -L linkdesk >"$work/files"
echo "test-package: installed $(wc -l <"$work/files") paths; /usr/bin/linkdesk is $(du -h /usr/bin/linkdesk | cut -f1)"

echo "== the installed app under Xvfb"
display=":$((200 + RANDOM % 50))"
Xvfb "$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
sleep 1
data="$work/data"
DISPLAY="$display" HOME="$work" LINKDESK_DATA_DIR="$data" \
  dbus-run-session -- /usr/bin/linkdesk >"$work/app.out" 2>&1 &
app=$!
log_dir="$data/logs"
shown=""
for _ in $(seq 120); do
  # The daily log file, linkdesk.YYYY-MM-DD.log, in the data folder.
  if grep -qs 'first rows painted' "$log_dir"/linkdesk.*.log; then
    shown=$(grep -h 'first rows painted' "$log_dir"/linkdesk.*.log | head -1)
    break
  fi
  kill -0 "$app" 2>/dev/null || break
  sleep 0.5
done
mkdir -p target/e2e
sleep 2 # for the picture only: the rows are reported once rendered, painted a moment later
DISPLAY="$display" import -window root target/e2e/installed-deb.png 2>/dev/null || true
kill "$app" 2>/dev/null || true
wait "$app" 2>/dev/null || true
app=""
if ! echo "$shown" | grep -Eq 'rows=[1-9]'; then
  echo "test-package: FAILED: the installed app showed no demo rows" >&2
  tail -30 "$work/app.out" >&2 || true
  exit 1
fi
echo "test-package: the installed app shows demo rows: ${shown##*INFO }"

echo "== apt-get remove linkdesk"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q linkdesk >"$work/apt-remove.log"
if dpkg-query -W -f='${Status}' linkdesk 2>/dev/null | grep -q 'installed'; then
  echo "test-package: FAILED: linkdesk is still installed" >&2
  exit 1
fi
left=0
while read -r path; do
  if [ -e "$path" ] && [ ! -d "$path" ]; then
    echo "test-package: left behind: $path" >&2
    left=$((left + 1))
  fi
done <"$work/files"
[ "$left" -eq 0 ] || exit 1
echo "test-package: installed, ran, removed cleanly"
