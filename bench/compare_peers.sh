#!/usr/bin/env bash
# Side-by-side speed of tern and peer engines (llama.cpp / bitnet.cpp llama-bench builds)
# on the same model file and thread counts. It never builds or downloads a peer: you point
# it at binaries you built yourself (see bench/README.md, "Peers").
#
#   bench/compare_peers.sh --model FILE --llama-bench PATH [--peer-model FILE] [--peer-label NAME] \
#       [--llama-bench PATH [--peer-model FILE] [--peer-label NAME]] ... [-t 1,2] [-p 512] \
#       [-n 128] [-r 5] [--tern PATH] [--tern-args "..."] [--keep DIR]
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
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
command -v python3 >/dev/null || die "python3 is needed to read the JSON"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${keep:-$work}
mkdir -p "$out"

tests=()
((n_prompt > 0)) && tests+=("pp")
((n_gen > 0)) && tests+=("tg")
((${#tests[@]} > 0)) || die "nothing to run: -p and -n are both 0"

# One run = one engine, one thread count, one test; its JSON goes to its own file.
manifest="$out/manifest.tsv"
: > "$manifest"
IFS=',' read -r -a thread_list <<< "$threads"
for t in "${thread_list[@]}"; do
  for test in "${tests[@]}"; do
    if [[ $test == pp ]]; then p=$n_prompt; n=0; else p=0; n=$n_gen; fi
    f="$out/tern-t$t-$test.json"
    echo "compare_peers.sh: tern bench -t $t -p $p -n $n -r $reps" >&2
    # shellcheck disable=SC2086  # --tern-args is split on purpose
    "$tern_bin" bench -m "$model" -t "$t" -p "$p" -n "$n" -r "$reps" --json $tern_args > "$f" \
      || die "tern bench failed (t=$t, $test)"
    printf 'tern\t%s\t%s\t%s\t%s\n' "$t" "$test" "$f" "$tern_bin" >> "$manifest"
    for i in "${!peers[@]}"; do
      pm=${peer_models[$i]:-$model}
      f="$out/peer$((i + 1))-t$t-$test.json"
      echo "compare_peers.sh: ${peer_labels[$i]} ${peers[$i]} -m $pm -t $t -p $p -n $n -r $reps" >&2
      "${peers[$i]}" -m "$pm" -t "$t" -p "$p" -n "$n" -r "$reps" -o json > "$f" \
        || die "peer ${peers[$i]} failed (t=$t, $test)"
      printf '%s\t%s\t%s\t%s\t%s\n' "${peer_labels[$i]}" "$t" "$test" "$f" "${peers[$i]}" >> "$manifest"
    done
  done
done

python3 - "$manifest" "$model" <<'PY'
import json, statistics, sys

manifest, model = sys.argv[1], sys.argv[2]
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

results = {}   # (engine, threads, test) -> (median, stddev, name)
engines, names, info = [], {}, {}
for engine, t, test, path, binary in rows:
    if engine not in engines:
        engines.append(engine)
        names[engine] = binary
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
    print(f"{e}: {names[e]}" + (f" ({', '.join(extra)})" if extra else ""))
print()
header = ["test", "threads", "tern t/s"] + [f"{p} t/s" for p in peers] + [f"tern/{p}" for p in peers]
print("| " + " | ".join(header) + " |")
print("| " + " | ".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + " |")
keys = sorted({(k[1], k[2]) for k in results}, key=lambda k: (k[1][:2] != "pp", k[0], k[1]))
for t, label in keys:
    tern = results.get(("tern", t, label))
    cells = [label, str(t), f"{tern[0]:.2f} ± {tern[1]:.2f}" if tern else "-"]
    ratios = []
    for p in peers:
        r = results.get((p, t, label))
        cells.append(f"{r[0]:.2f} ± {r[1]:.2f}" if r else "-")
        ratios.append(f"{tern[0] / r[0]:.2f}x" if tern and r and r[0] > 0 else "-")
    print("| " + " | ".join(cells + ratios) + " |")
PY
