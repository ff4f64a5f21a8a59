#!/usr/bin/env bash
# N `tern serve` replicas on loopback ports behind Debian's HAProxy, as the calling user
# (no root, nothing listens beyond 127.0.0.1). The HAProxy configuration is
# deploy/haproxy.cfg with this run's ports and one `server` line per replica, written to
# the state folder. Commands:
#
#   scripts/serve_replicas.sh start [-n 3] [--port 8080] [-m MODEL] [--tern BIN] [--drain-timeout 30] [-- SERVE FLAGS...]
#   scripts/serve_replicas.sh rolling-restart   # one replica at a time: SIGTERM (it drains
#                                               # and exits), start it again, wait until
#                                               # HAProxy has it back in rotation
#   scripts/serve_replicas.sh status            # HAProxy's view of every replica
#   scripts/serve_replicas.sh stop              # drain every replica, then stop HAProxy
#
# Clients use http://127.0.0.1:PORT/v1; the replicas listen on PORT+1..PORT+N and HAProxy's
# stats page on PORT+N+1 (/stats). State (configuration, pids, logs): --dir, or
# $TERN_REPLICAS_DIR, or ${XDG_RUNTIME_DIR:-/tmp}/tern-replicas-$USER.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cmd="${1:-}"
[[ -n "$cmd" ]] && shift
n=3
port=8080
model="$repo/models/tern-demo-6m.gguf"
tern="$repo/build/release/tern"
drain_timeout=30
dir="${TERN_REPLICAS_DIR:-${XDG_RUNTIME_DIR:-/tmp}/tern-replicas-$(id -un)}"
serve_flags=()

die() { echo "serve_replicas: $*" >&2; exit 1; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) need_value "$@"; n="$2"; shift 2 ;;
    --port) need_value "$@"; port="$2"; shift 2 ;;
    -m) need_value "$@"; model="$2"; shift 2 ;;
    --tern) need_value "$@"; tern="$2"; shift 2 ;;
    --drain-timeout) need_value "$@"; drain_timeout="$2"; shift 2 ;;
    --dir) need_value "$@"; dir="$2"; shift 2 ;;
    --) shift; serve_flags=("$@"); break ;;
    *) die "unknown argument '$1' (see the header of $0)" ;;
  esac
done

# Seconds to wait for a replica to load and answer /health, and for HAProxy to agree.
readonly kStartWait=120

health_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/health" || true; }

# HAProxy's status of server tern-K (UP, DOWN, MAINT, "UP 1/2", ...) from the stats CSV.
lb_status() {
  curl -s --max-time 2 "http://127.0.0.1:$stats_port/stats;csv" |
    awk -F, -v s="tern-$1" '$1 == "tern" && $2 == s { print $18 }'
}

wait_until() {  # wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.1 s
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < end)) || die "timed out after ${limit}s waiting for $what"
    sleep 0.1
  done
}
replica_port() { echo $((port + $1)); }
is_healthy() { [[ "$(health_code "$(replica_port "$1")")" == 200 ]]; }
in_rotation() { [[ "$(lb_status "$1")" == UP ]]; }
# Exited: no such process, or a zombie nobody has reaped yet (a replica outlives the shell
# that started it, so its parent is whatever adopted it).
is_gone() { ! kill -0 "$1" 2>/dev/null || [[ "$(sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null)" == Z ]]; }

start_replica() {
  local k=$1
  # setsid: the replica is not in the caller's process group, so a Ctrl-C in the shell
  # that ran this script reaches none of them; they stop by `stop` (SIGTERM, a drain).
  setsid "$tern" serve -m "$model" --host 127.0.0.1 --port "$(replica_port "$k")" --drain-timeout "$drain_timeout" \
    "${serve_flags[@]}" </dev/null >/dev/null 2>>"$dir/replica-$k.log" &
  echo $! >"$dir/replica-$k.pid"
}

# SIGTERM: the replica drains (its /health turns 503, HAProxy takes it out, its streams
# finish) and exits. Sent once: a second signal would stop it at once.
signal_replica() {
  local pid
  pid=$(cat "$dir/replica-$1.pid" 2>/dev/null) && kill -TERM "$pid" 2>/dev/null || true
}
wait_replica() {  # until replica $1 has exited
  local pid
  pid=$(cat "$dir/replica-$1.pid" 2>/dev/null) || return 0
  wait_until $((${drain_timeout%.*} + 30)) "replica $1 (pid $pid) to drain and exit" is_gone "$pid"
  rm -f "$dir/replica-$1.pid"
}

write_config() {
  # deploy/haproxy.cfg with this run's ports; its `server tern-*` lines replaced by ours.
  awk -v port="$port" -v stats="$stats_port" -v n="$n" '
    /^[[:space:]]*bind 127\.0\.0\.1:8080$/ { sub(/8080$/, port) }
    /^[[:space:]]*bind 127\.0\.0\.1:8404$/ { sub(/8404$/, stats) }
    /^[[:space:]]*server tern-/ {
      if (!done) for (k = 1; k <= n; ++k) printf "    server tern-%d 127.0.0.1:%d\n", k, port + k
      done = 1; next
    }
    { print }' "$repo/deploy/haproxy.cfg" >"$dir/haproxy.cfg"
  haproxy -q -c -f "$dir/haproxy.cfg" || die "HAProxy refuses $dir/haproxy.cfg"
}

load_state() {
  [[ -f "$dir/state" ]] || die "nothing runs from $dir (no state file; start first)"
  # shellcheck source=/dev/null
  source "$dir/state"
}

case "$cmd" in
  start)
    command -v haproxy >/dev/null || die "haproxy not found (scripts/install-deps.sh installs Debian's)"
    command -v curl >/dev/null || die "curl not found (scripts/install-deps.sh installs it)"
    [[ "$n" =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 64)) || die "-n: $n is not a number of replicas in 1..64"
    [[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1024 && port + n + 1 <= 65535)) ||
      die "--port: $port: ports $port..$((port + n + 1)) must lie in 1024..65535"
    [[ "$drain_timeout" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--drain-timeout: $drain_timeout is not a number of seconds"
    [[ -x "$tern" ]] || die "--tern: $tern is not an executable (build first: scripts/build.sh release)"
    [[ -f "$model" ]] || die "-m: $model: no such file"
    [[ -f "$dir/state" ]] && die "$dir already holds a running setup (stop it first, or --dir)"
    mkdir -p "$dir"
    stats_port=$((port + n + 1))
    write_config
    {
      printf 'n=%q\nport=%q\nstats_port=%q\nmodel=%q\ntern=%q\ndrain_timeout=%q\n' \
        "$n" "$port" "$stats_port" "$model" "$tern" "$drain_timeout"
      printf 'serve_flags=(%s)\n' "$(printf '%q ' "${serve_flags[@]}")"
    } >"$dir/state"
    for ((k = 1; k <= n; ++k)); do start_replica "$k"; done
    setsid haproxy -db -f "$dir/haproxy.cfg" </dev/null >/dev/null 2>>"$dir/haproxy.log" &
    echo $! >"$dir/haproxy.pid"
    for ((k = 1; k <= n; ++k)); do
      wait_until $kStartWait "replica $k to answer /health (log: $dir/replica-$k.log)" is_healthy "$k"
      wait_until $kStartWait "HAProxy to put replica $k in rotation (log: $dir/haproxy.log)" in_rotation "$k"
    done
    echo "serve_replicas: $n replicas behind http://127.0.0.1:$port/v1 (stats http://127.0.0.1:$stats_port/stats; state $dir)"
    ;;
  rolling-restart)
    load_state
    for ((k = 1; k <= n; ++k)); do
      signal_replica "$k"
      wait_replica "$k"
      start_replica "$k"
      wait_until $kStartWait "replica $k to answer /health again" is_healthy "$k"
      wait_until $kStartWait "HAProxy to put replica $k back in rotation" in_rotation "$k"
      echo "serve_replicas: replica $k restarted and back in rotation"
    done
    ;;
  status)
    load_state
    for ((k = 1; k <= n; ++k)); do
      echo "tern-$k 127.0.0.1:$(replica_port "$k") pid $(cat "$dir/replica-$k.pid" 2>/dev/null || echo -) haproxy: $(lb_status "$k")"
    done
    ;;
  stop)
    load_state
    # All replicas drain at once (HAProxy has nowhere to send new requests meanwhile).
    for ((k = 1; k <= n; ++k)); do signal_replica "$k"; done
    for ((k = 1; k <= n; ++k)); do wait_replica "$k"; done
    if pid=$(cat "$dir/haproxy.pid" 2>/dev/null); then
      kill -TERM "$pid" 2>/dev/null || true
      wait_until 30 "HAProxy (pid $pid) to exit" is_gone "$pid"
    fi
    rm -f "$dir/haproxy.pid" "$dir/state"
    echo "serve_replicas: stopped (logs kept in $dir)"
    ;;
  *)
    die "usage: $0 start|rolling-restart|status|stop [options] (see the header of the script)"
    ;;
esac
