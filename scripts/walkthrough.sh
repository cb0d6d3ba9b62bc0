#!/usr/bin/env bash
# Runs the README's walkthrough block, as written, against a fresh server on a
# free port, and checks that each step answered what the README says it does.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT
start_server SECRET_HASH_COST=4 ADMIN_PASSWORD='change-me-right-now'
addr=$base

# The block between the markers, with the README's address swapped for ours.
sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' README.md |
  sed '/^<!--/d; /^```/d' | sed "s#http://127.0.0.1:8080#$addr#" >"$work/walkthrough.sh"
bash -eu "$work/walkthrough.sh" | tee "$work/out"

# The answers, in order: created, read, refused after reset, suspended,
# refused, login refused, read again.
expect=(
  '"message":"Client created successfully"'
  '"clientId":"client_unique_id"'
  '{"error":"Unauthorized","message":"Invalid token"}'
  '"status":"Suspended"'
  '{"error":"Unauthorized","message":"Client not found or inactive"}'
  '{"error":"Invalid credentials or inactive client"}'
  '"clientId":"client_unique_id","status":"Active"'
)
mapfile -t lines <"$work/out"
if [ "${#lines[@]}" -ne "${#expect[@]}" ]; then
  echo "walkthrough printed ${#lines[@]} lines, want ${#expect[@]}"; exit 1
fi
for i in "${!expect[@]}"; do
  case "${lines[$i]}" in
    *"${expect[$i]}"*) ;;
    *) echo "step answer $((i + 1)) lacks ${expect[$i]}"; exit 1 ;;
  esac
done
echo "walkthrough: ${#expect[@]} answers as the README says"
