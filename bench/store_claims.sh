#!/usr/bin/env bash
# Claim throughput of the run store, SQLite and PostgreSQL side by side: 8 worker processes
# race through 2000 planned runs (bench/store_claims.cpp). PostgreSQL is a throw-away
# cluster on loopback TCP (scripts/test_servers/postgres: fsync off, as in the tests).
#   bench/store_claims.sh [WORKERS] [RUNS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workers="${1:-8}" runs="${2:-2000}"
"$root/scripts/setup" bench_store_claims
tmp="$(mktemp -d /tmp/scalelab-claims.XXXXXX)"
chmod 755 "$tmp"  # the server runs as the postgres user when this runs as root
trap '"$root/scripts/test_servers/postgres" stop "$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
"$root/scripts/test_servers/postgres" start "$tmp/pg"
export PGPASSFILE="$tmp/pg/pgpass"
url="postgresql://scalelab@$(cat "$tmp/pg/host"):$(cat "$tmp/pg/port")"
psql -q "$url/postgres" -c "CREATE DATABASE claims"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
printf '%-12s %s\n' "SQLite" "$("$root/build/bench/bench_store_claims" "$tmp/claims.sqlite" --workers "$workers" --runs "$runs")"
printf '%-12s %s\n' "PostgreSQL" "$("$root/build/bench/bench_store_claims" "$url/claims" --workers "$workers" --runs "$runs")"
