#!/usr/bin/env bash
# The team store benchmark (benches/team.rs) against a throw-away PostgreSQL
# cluster on a free loopback port, created and removed here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
export PATH="$HOME/.cargo/bin:$PATH"
pgdir="$(mktemp -d /tmp/linkdesk-pg.XXXXXX)"
chmod 755 "$pgdir"
trap 'bash scripts/team-pg.sh remove "$pgdir/cluster" || true; rm -rf "$pgdir"' EXIT
pgenv="$(LINKDESK_PG_DURABLE=1 bash scripts/team-pg.sh start "$pgdir/cluster")"
eval "$pgenv"
cargo bench --bench team "$@"
