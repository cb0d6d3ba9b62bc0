#!/usr/bin/env bash
# One load run against the real binary on a fresh SQLite database, with the
# default bcrypt cost. Traffic goes to 127.0.0.1 only, for a fixed time.
#   bash scripts/load.sh            # 10 s per endpoint
#   DURATION=30s bash scripts/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
HEY="go run github.com/rakyll/hey@v0.1.5"
. scripts/lib.sh
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT
$HEY -h >/dev/null 2>&1 || true # fetch and build hey before timing anything
start_server ADMIN_PASSWORD='load-test-admin-password'

admin=$(curl -s -X POST "$base/auth/admin/login" -d '{"username":"admin","password":"load-test-admin-password"}' | field token)
for i in $(seq 1 200); do # a table with some rows in it
  curl -s -o /dev/null -X POST "$base/admin/clients" -H "Authorization: Bearer $admin" \
    -d "{\"clientId\":\"load_$i\",\"clientSecret\":\"load-client-secret-$i\",\"clientMeta\":{\"fullName\":\"Load $i\",\"email\":\"load$i@example.com\",\"phone\":\"+12125551234\"},\"agentId\":\"agent_1\",\"twilioPhoneNumber\":\"+18001234567\"}"
done
token=$(curl -s -X POST "$base/auth/login" -d '{"clientId":"load_1","clientSecret":"load-client-secret-1"}' | field token)

run() { # name, then hey's arguments
  local name=$1; shift
  echo "== $name ($DURATION)"
  $HEY -z "$DURATION" "$@" | sed -n '/Summary:/,/Requests\/sec/p;/Latency distribution:/,/99%/p;/Status code distribution:/,/^$/p'
}
run "GET /secure/client, 16 connections" -c 16 -H "Authorization: Bearer $token" "$base/secure/client"
run "GET /admin/clients?search=load, 8 connections" -c 8 -H "Authorization: Bearer $admin" "$base/admin/clients?search=load&limit=10"
run "POST /auth/login (bcrypt cost 10), 4 connections" -c 4 -m POST -T application/json \
  -d '{"clientId":"load_2","clientSecret":"load-client-secret-2"}' "$base/auth/login"
grep -c 'level=ERROR' "$work/stderr" | sed 's/^/server error lines: /' || true
