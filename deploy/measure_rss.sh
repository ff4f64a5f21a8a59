#!/usr/bin/env bash
# Peak resident memory of `tern serve` for sizing a container (deploy/kubernetes.yaml):
# starts it on a loopback port, reads VmHWM once /health answers (the slots' KV caches and
# scratch are allocated and touched at start), runs CLIENTS concurrent streaming chats of
# TOKENS tokens each, reads VmHWM again, then stops it with SIGTERM (a drain).
#
#   deploy/measure_rss.sh MODEL [--parallel 4] [-c 0] [-t 1] [--clients 4] [--tokens 64] [--tern build/release/tern]
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:?usage: $0 MODEL [--parallel N] [-c CTX] [-t THREADS] [--clients N] [--tokens N] [--tern BIN]}"
shift
parallel=4 ctx=0 threads=1 clients=4 tokens=64 tern="$repo/build/release/tern"
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || { echo "measure_rss: $1 needs a value" >&2; exit 1; }
  case "$1" in
    --parallel) parallel=$2 ;; -c) ctx=$2 ;; -t) threads=$2 ;; --clients) clients=$2 ;; --tokens) tokens=$2 ;;
    --tern) tern=$2 ;;
    *) echo "measure_rss: unknown argument '$1'" >&2; exit 1 ;;
  esac
  shift 2
done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$tern" serve -m "$model" --port "$port" --parallel "$parallel" -c "$ctx" -t "$threads" --no-request-log 2>/dev/null &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 1200); do  # up to 10 minutes for a large model to load
  curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
  kill -0 $pid 2>/dev/null || { echo "measure_rss: tern serve exited" >&2; exit 1; }
  sleep 0.5
done
hwm() { awk '/^VmHWM/ { printf "%.1f MB", $2 / 1000 }' "/proc/$pid/status"; }
echo "ready: peak RSS $(hwm) (--parallel $parallel -c $ctx -t $threads, $(basename "$model"))"
body="{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story about a ship at sea.\"}],\"max_tokens\":$tokens,\"ignore_eos\":true,\"stream\":true}"
clients_pids=()
for _ in $(seq "$clients"); do
  curl -s -o /dev/null -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/v1/chat/completions" &
  clients_pids+=($!)
done
wait "${clients_pids[@]}"
echo "after $clients concurrent streams of $tokens tokens: peak RSS $(hwm)"
