#!/usr/bin/env bash
# Side-by-side speed of tern and peer engines (llama.cpp / bitnet.cpp llama-bench builds)
# on the same model file and thread counts. It never builds or downloads a peer: you point
# it at binaries you built yourself (see bench/README.md, "Peers").
#
#   bench/compare_peers.sh --model FILE --llama-bench PATH [--peer-model FILE] [--peer-label NAME] \
#       [--llama-bench PATH [--peer-model FILE] [--peer-label NAME]] ... [-t 1,2] [-p 512] \
#       [-n 128] [-r 5] [--tern PATH] [--tern-args "..."] [--keep DIR] [--timeout SEC]
#
#   --model FILE        the GGUF both engines run (unless a peer has its own --peer-model)
#   --llama-bench PATH  a peer's llama-bench binary; repeat for several peers
#   --peer-model FILE   the file for the --llama-bench just before it, when that peer cannot
#                       read --model's type (e.g. tern's own format vs a peer's I2_S/TQ2_0)
#   --peer-label NAME   the column name for the --llama-bench just before it (default peerN),
#                       e.g. "bitnet.cpp-765741d": builds from a source snapshot report
#                       build_commit "unknown", so name the commit here
#   -t LIST             thread counts, comma separated (default 1,2)
#   -p N / -n N / -r N  prompt length, generation length, repetitions (default 512/128/5)
#   --tern PATH         the tern binary (default: build/release/tern next to this script)
#   --tern-args "..."   extra arguments for `tern bench` (e.g. "--kernel avx2")
#   --keep DIR          keep every raw JSON output in DIR
#   --timeout SEC       stop any one run (one engine, thread count, test) after SEC seconds;
#                       its cell then reads "timeout" and the other runs go on (default: none)
#
# Environment: the peers inherit it, so e.g. `OMP_WAIT_POLICY=passive bench/compare_peers.sh ...`
# stops OpenMP builds from spin-waiting; OMP_*, GOMP_*, KMP_* and GGML_* variables that are set
# are printed under the table so the figures keep their context.
#
# Runs are interleaved so drift (thermal, other load) hits every engine alike: for each
# thread count and each test (pp, then tg), tern runs, then every peer in order. Each
# engine's figure is the median of its per-repetition samples (samples_ts in the JSON that
# both `tern bench --json` and `llama-bench -o json` print); the ratio is tern / peer.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
model=""
threads="1,2"
n_prompt=512
n_gen=128
reps=5
tern_bin="$here/../build/release/tern"
tern_args=""
keep=""
timeout_s=""
peers=()
peer_models=()
peer_labels=()

die() { echo "compare_peers.sh: $*" >&2; exit 2; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) need_value "$@"; model=$2; shift 2 ;;
    --llama-bench) need_value "$@"; peers+=("$2"); peer_models+=(""); peer_labels+=("peer${#peers[@]}"); shift 2 ;;
    --peer-model)
      need_value "$@"
      ((${#peers[@]} > 0)) || die "--peer-model must follow the --llama-bench it belongs to"
      peer_models[${#peers[@]}-1]=$2; shift 2 ;;
    --peer-label)
      need_value "$@"
      ((${#peers[@]} > 0)) || die "--peer-label must follow the --llama-bench it belongs to"
      [[ "$2" =~ ^[A-Za-z0-9._+-]+$ ]] || die "--peer-label wants letters, digits and . _ + - only, not '$2'"
      [[ "$2" != tern ]] || die "--peer-label 'tern' is taken by tern itself"
      peer_labels[${#peers[@]}-1]=$2; shift 2 ;;
    -t) need_value "$@"; threads=$2; shift 2 ;;
    -p) need_value "$@"; n_prompt=$2; shift 2 ;;
    -n) need_value "$@"; n_gen=$2; shift 2 ;;
    -r) need_value "$@"; reps=$2; shift 2 ;;
    --tern) need_value "$@"; tern_bin=$2; shift 2 ;;
    --tern-args) [[ $# -ge 2 ]] || die "--tern-args needs a value"; tern_args=$2; shift 2 ;;
    --keep) need_value "$@"; keep=$2; shift 2 ;;
    --timeout) need_value "$@"; timeout_s=$2; shift 2 ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

[[ -n "$model" ]] || die "--model FILE is required"
[[ -f "$model" ]] || die "model '$model' not found"
((${#peers[@]} > 0)) || die "give at least one --llama-bench PATH (a peer binary you built)"
[[ -x "$tern_bin" ]] || die "tern binary '$tern_bin' not found or not executable (build it, or pass --tern PATH)"
for i in "${!peers[@]}"; do
  [[ -x "${peers[$i]}" ]] || die "peer '${peers[$i]}' not found or not executable"
  [[ -z "${peer_models[$i]}" || -f "${peer_models[$i]}" ]] || die "peer model '${peer_models[$i]}' not found"
done
dupes=$(printf '%s\n' "${peer_labels[@]}" | sort | uniq -d)
[[ -z "$dupes" ]] || die "--peer-label '${dupes%%$'\n'*}' is given to two peers"
[[ "$threads" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "-t wants a comma list of thread counts, not '$threads'"
for v in "$n_prompt" "$n_gen" "$reps"; do [[ "$v" =~ ^[0-9]+$ ]] || die "-p/-n/-r want integers, not '$v'"; done
[[ -z "$timeout_s" || "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die "--timeout wants a whole number of seconds, not '$timeout_s'"
[[ -z "$timeout_s" ]] || command -v timeout >/dev/null || die "--timeout needs coreutils' timeout"
command -v python3 >/dev/null || die "python3 is needed to read the JSON"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${keep:-$work}
mkdir -p "$out"

tests=()
((n_prompt > 0)) && tests+=("pp")
((n_gen > 0)) && tests+=("tg")
((${#tests[@]} > 0)) || die "nothing to run: -p and -n are both 0"

# A static build of ggml from mid-2025 (kernels picked by weak aliases; ggml-org/llama.cpp
# issue #14134, fixed by PR #14221) links the portable C dot products instead of the AVX2
# ones: 4-5x slower on TQ2_0. Its symbol table shows them as weak (W) symbols; a good build
# shows them strong (T), older and newer ggml have no alias at all. Warn, do not refuse.
warnings="$out/warnings.txt"
: > "$warnings"
check_generic_kernels() {
  local bin=$1 f
  command -v nm >/dev/null || return 0
  for f in "$bin" $(ldd "$bin" 2>/dev/null | awk '/libggml-cpu/ && $3 ~ /^\// {print $3}'); do
    # grep reads all of nm's output (no -q): an early exit would fail the pipe under pipefail
    if { nm "$f"; nm -D "$f"; } 2>/dev/null | grep -E ' [Ww] ggml_vec_dot_(q4_0_q8_0|tq2_0_q8_K)$' > /dev/null; then
      echo "WARNING: $f links ggml's generic C kernels (weak-alias static build, llama.cpp #14134): rebuild it with -DBUILD_SHARED_LIBS=ON or a newer ggml" >> "$warnings"
    fi
  done
}
for i in "${!peers[@]}"; do check_generic_kernels "${peers[$i]}"; done
[[ ! -s "$warnings" ]] || sed 's/^/compare_peers.sh: /' "$warnings" >&2

# Runs CMD... with stdout to FILE under --timeout; returns its exit code (124: timed out).
run_to() {
  local file=$1; shift
  if [[ -n "$timeout_s" ]]; then timeout "$timeout_s" "$@" > "$file"; else "$@" > "$file"; fi
}

# One run = one engine, one thread count, one test; its JSON goes to its own file. The
# manifest's last column is "ok" or "timeout".
manifest="$out/manifest.tsv"
: > "$manifest"
IFS=',' read -r -a thread_list <<< "$threads"
for t in "${thread_list[@]}"; do
  for test in "${tests[@]}"; do
    if [[ $test == pp ]]; then p=$n_prompt; n=0; else p=0; n=$n_gen; fi
    f="$out/tern-t$t-$test.json"
    echo "compare_peers.sh: tern bench -t $t -p $p -n $n -r $reps" >&2
    status=ok
    # shellcheck disable=SC2086  # --tern-args is split on purpose
    run_to "$f" "$tern_bin" bench -m "$model" -t "$t" -p "$p" -n "$n" -r "$reps" --json $tern_args || {
      rc=$?
      [[ $rc == 124 && -n "$timeout_s" ]] || die "tern bench failed (t=$t, $test)"
      status=timeout; echo "compare_peers.sh: tern timed out after ${timeout_s}s (t=$t, $test)" >&2
    }
    printf 'tern\t%s\t%s\t%s\t%s\t%s\n' "$t" "$test" "$f" "$tern_bin" "$status" >> "$manifest"
    for i in "${!peers[@]}"; do
      pm=${peer_models[$i]:-$model}
      f="$out/peer$((i + 1))-t$t-$test.json"
      echo "compare_peers.sh: ${peer_labels[$i]} ${peers[$i]} -m $pm -t $t -p $p -n $n -r $reps" >&2
      status=ok
      run_to "$f" "${peers[$i]}" -m "$pm" -t "$t" -p "$p" -n "$n" -r "$reps" -o json || {
        rc=$?
        [[ $rc == 124 && -n "$timeout_s" ]] || die "peer ${peers[$i]} failed (t=$t, $test)"
        status=timeout; echo "compare_peers.sh: ${peer_labels[$i]} timed out after ${timeout_s}s (t=$t, $test)" >&2
      }
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "${peer_labels[$i]}" "$t" "$test" "$f" "${peers[$i]}" "$status" >> "$manifest"
    done
  done
done

python3 - "$manifest" "$model" "$n_prompt" "$n_gen" "$warnings" <<'PY'
import json, os, statistics, sys

manifest, model, n_prompt_arg, n_gen_arg, warnings = sys.argv[1:6]
rows = [line.rstrip("\n").split("\t") for line in open(manifest) if line.strip()]

def load(engine, path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"compare_peers.sh: {engine}: {path}: not llama-bench JSON ({e})")
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        sys.exit(f"compare_peers.sh: {engine}: {path}: expected a JSON array of test results")
    return data

def median_ts(engine, path, rec):
    samples = rec.get("samples_ts")
    if isinstance(samples, list) and samples and all(isinstance(x, (int, float)) for x in samples):
        return statistics.median(samples), (statistics.stdev(samples) if len(samples) > 1 else 0.0)
    if isinstance(rec.get("avg_ts"), (int, float)):
        return float(rec["avg_ts"]), float(rec.get("stddev_ts") or 0.0)
    sys.exit(f"compare_peers.sh: {engine}: {path}: a result has neither samples_ts nor avg_ts")

TIMEOUT = "timeout"
results = {}   # (engine, threads, test) -> (median, stddev) or TIMEOUT
engines, names, info = [], {}, {}
for engine, t, test, path, binary, status in rows:
    if engine not in engines:
        engines.append(engine)
        names[engine] = binary
    if status == TIMEOUT:
        results[(engine, int(t), f"pp{n_prompt_arg}" if test == "pp" else f"tg{n_gen_arg}")] = TIMEOUT
        continue
    for rec in load(engine, path):
        n_prompt, n_gen = int(rec.get("n_prompt", 0)), int(rec.get("n_gen", 0))
        kind = "pp" if n_prompt > 0 and n_gen == 0 else "tg" if n_gen > 0 and n_prompt == 0 else None
        if kind != test:
            continue
        label = f"{kind}{n_prompt or n_gen}"
        results[(engine, int(t), label)] = median_ts(engine, path, rec)
        info.setdefault(engine, rec)
    if not any(k[0] == engine and k[1] == int(t) and k[2].startswith(test) for k in results):
        sys.exit(f"compare_peers.sh: {engine}: {path}: no {test} result for -t {t}")

peers = [e for e in engines if e != "tern"]
print(f"model: {model}")
for e in engines:
    rec = info.get(e, {})
    extra = []
    if rec.get("build_commit"): extra.append(f"build {rec['build_commit']}")
    if rec.get("model_type"): extra.append(rec["model_type"])
    if rec.get("kernel"): extra.append(f"kernel {rec['kernel']}")
    if rec.get("model_filename"): extra.append(rec["model_filename"])
    if rec.get("cpu_info"): extra.append(f"cpu {rec['cpu_info']}")
    if rec.get("backends"): extra.append(f"backends {rec['backends']}")
    print(f"{e}: {names[e]}" + (f" ({', '.join(extra)})" if extra else ""))
print()
header = ["test", "threads", "tern t/s"] + [f"{p} t/s" for p in peers] + [f"tern/{p}" for p in peers]
print("| " + " | ".join(header) + " |")
print("| " + " | ".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + " |")
keys = sorted({(k[1], k[2]) for k in results}, key=lambda k: (k[1][:2] != "pp", k[0], k[1]))
def cell(r):
    return TIMEOUT if r == TIMEOUT else f"{r[0]:.2f} ± {r[1]:.2f}" if r else "-"

def measured(r):
    return r is not None and r != TIMEOUT and r[0] > 0

for t, label in keys:
    tern = results.get(("tern", t, label))
    cells = [label, str(t), cell(tern)]
    ratios = []
    for p in peers:
        r = results.get((p, t, label))
        cells.append(cell(r))
        ratios.append(f"{tern[0] / r[0]:.2f}x" if measured(tern) and measured(r) else "-")
    print("| " + " | ".join(cells + ratios) + " |")

# What else shaped the figures: thread-runtime settings the peers inherited, build warnings.
env = [f"{k}={v}" for k, v in sorted(os.environ.items())
       if k.startswith(("OMP_", "GOMP_", "KMP_", "GGML_"))]
if env:
    print()
    print("environment: " + " ".join(env))
notes = [line.strip() for line in open(warnings) if line.strip()]
if notes:
    print()
    for line in notes:
        print(line)
PY
