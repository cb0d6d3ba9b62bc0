# Shared by the scripts that run the real binary. Source it, then:
#   start_server ENV=VALUE...   builds bin into $work, starts it on a free port
#                               with a database in $work, sets $pid and $base
# The caller makes $work (mktemp -d) and cleans up with stop_server.

pid=
start_server() {
  go build -o "$work/switchboard" ./cmd/switchboard
  env PORT=0 DATABASE_URL="$work/sb.db" "$@" "$work/switchboard" >"$work/stdout" 2>"$work/stderr" &
  pid=$!
  base=
  for _ in $(seq 1 100); do
    base=$(sed -n 's/.*msg=listening addr=\(http:[^ ]*\).*/\1/p' "$work/stderr")
    [ -n "$base" ] && return 0
    sleep 0.1
  done
  cat "$work/stderr"
  echo "server did not start" >&2
  return 1
}

stop_server() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# field NAME: the first string value of NAME in the JSON on standard input.
field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
