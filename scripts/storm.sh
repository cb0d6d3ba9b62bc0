#!/usr/bin/env bash
# GET /secure/client latency, calm and then during a storm of wrong sign-ins
# from rotating addresses (64 workers, each request from a new 127.x.y.z),
# against the real binary on a fresh SQLite database at the default bcrypt
# cost. The goal (docs/PERFORMANCE.md): p99 during the storm within 5x of
# the calm one, and no failed read.
#   bash scripts/storm.sh                     # 10 s calm, 10 s storm
#   DURATION=20s WORKERS=64 bash scripts/storm.sh   # DURATION in whole seconds
#   MAX_CONCURRENT_HASHES=2 bash scripts/storm.sh   # the server's setting
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
WORKERS="${WORKERS:-64}"
CLIENTS=50
. scripts/lib.sh
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT
go build -o "$work/storm" ./scripts/storm
start_server ADMIN_PASSWORD='storm-test-admin-password' ${MAX_CONCURRENT_HASHES:+MAX_CONCURRENT_HASHES=$MAX_CONCURRENT_HASHES}

admin=$(curl -s -X POST "$base/auth/admin/login" -d '{"username":"admin","password":"storm-test-admin-password"}' | field token)
for i in $(seq 1 $CLIENTS); do # the accounts whose secrets the storm guesses
  curl -s -o /dev/null -X POST "$base/admin/clients" -H "Authorization: Bearer $admin" \
    -d "{\"clientId\":\"load_$i\",\"clientSecret\":\"load-client-secret-$i\",\"clientMeta\":{\"fullName\":\"Load $i\",\"email\":\"load$i@example.com\",\"phone\":\"+12125551234\"},\"agentId\":\"agent_1\",\"twilioPhoneNumber\":\"+18001234567\"}"
done
token=$(curl -s -X POST "$base/auth/login" -d '{"clientId":"load_1","clientSecret":"load-client-secret-1"}' | field token)

secs=${DURATION%s}
echo "== $WORKERS storm workers, $(nproc) cores, MAX_CONCURRENT_HASHES=${MAX_CONCURRENT_HASHES:-default}, $DURATION each"
"$work/storm" read -base "$base" -token "$token" -duration "$DURATION" -label "calm "
"$work/storm" flood -base "$base" -duration "$((secs + 2))s" -workers "$WORKERS" -clients "$CLIENTS" >"$work/flood" &
flood=$!
sleep 1 # the storm builds up before the reads start
"$work/storm" read -base "$base" -token "$token" -duration "$DURATION" -label "storm"
wait $flood
cat "$work/flood"
grep -c 'level=ERROR' "$work/stderr" | sed 's/^/server error lines: /' || true
