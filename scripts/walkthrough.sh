#!/usr/bin/env bash
# Runs the README's walkthrough blocks, as written, against fresh servers on
# free ports, and checks that each step answered what the README says it does.
set -euo pipefail
shopt -s extglob
cd "$(dirname "$0")/.."

. scripts/lib.sh
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT

# run_block NAME: the README block between NAME's markers, with the README's
# address swapped for the running server's, run with its output in $work/out.
run_block() {
  sed -n "/<!-- $1:start -->/,/<!-- $1:end -->/p" README.md |
    sed '/^<!--/d; /^```/d' | sed "s#http://127.0.0.1:8080#$base#" >"$work/$1.sh"
  bash -eu "$work/$1.sh" | tee "$work/out"
}

# check WHAT PATTERN...: line i of $work/out matches glob pattern i.
check() {
  local what=$1
  shift
  local expect=("$@") lines
  mapfile -t lines <"$work/out"
  if [ "${#lines[@]}" -ne "${#expect[@]}" ]; then
    echo "$what printed ${#lines[@]} lines, want ${#expect[@]}"; exit 1
  fi
  for i in "${!expect[@]}"; do
    # shellcheck disable=SC2254 # the expectations are glob patterns
    case "${lines[$i]}" in
      ${expect[$i]}) ;;
      *) echo "$what: answer $((i + 1)) does not match ${expect[$i]}"; exit 1 ;;
    esac
  done
  echo "$what: ${#expect[@]} answers as the README says"
}

# The accounts: created, read, refused after reset, suspended, refused,
# login refused, read again.
start_server SECRET_HASH_COST=4 ADMIN_PASSWORD='change-me-right-now'
run_block walkthrough
check walkthrough \
  '*"message":"Client created successfully"*' \
  '*"clientId":"client_unique_id"*' \
  '*{"error":"Unauthorized","message":"Invalid token"}*' \
  '*"status":"Suspended"*' \
  '*{"error":"Unauthorized","message":"Client not found or inactive"}*' \
  '*{"error":"Invalid credentials or inactive client"}*' \
  '*"clientId":"client_unique_id","status":"Active"*'
stop_server

# The calls, simulated: placed, settled by the webhook, counted, and a
# do-not-call number refused.
start_server SECRET_HASH_COST=4 ADMIN_PASSWORD='change-me-right-now' SIMULATE_CALLS=1
run_block calls-walkthrough
check calls-walkthrough \
  '{"success":true,"message":"Call initiated successfully","callId":"call_*","requestId":"*"}' \
  'status: @(completed|failed)' \
  '{"clientId":"acme_calls","stats":{"totalCalls":1,*' \
  '{"message":"Number added to the do-not-call list","phone":"+14155550124"}' \
  '{"error":"This number is on the do-not-call list","requestId":"*"}'
stop_server

# The team: an operator invited and signed in, held to its role, its
# password reset, and two-factor sign-in required of everyone.
start_server SECRET_HASH_COST=4 ADMIN_PASSWORD='change-me-right-now'
run_block team-walkthrough
check team-walkthrough \
  '{"success":true,"message":"Invitation accepted; sign in with your password","username":"olga"}' \
  '{"total":*,"clients":[*' \
  '{"error":"Forbidden","message":"Insufficient permissions"}' \
  'reset' \
  '{"error":"Unauthorized","message":"Invalid token"}' \
  '{"requireAdminMfa":true,"requiredByEnvironment":false}' \
  '{"error":"Two-factor sign-in required: set it up with POST /auth/admin/mfa/setup, then /auth/admin/mfa/confirm","mfaSetupRequired":true}'
