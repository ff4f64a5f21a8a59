#!/usr/bin/env bash
# Runs every libFuzzer target in build/fuzz for SECONDS each (default 60) on a copy of its
# seed corpus (fuzz/corpus/<target>/), so runs never modify the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shopt -s nullglob
targets=(build/fuzz/fuzz/fuzz_*)
if ((${#targets[@]} == 0)); then echo "fuzz.sh: no fuzz targets built" >&2; exit 1; fi
for t in "${targets[@]}"; do
  [[ -x "$t" && -f "$t" ]] || continue
  name=$(basename "$t"); name=${name#fuzz_}
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  [[ -d "fuzz/corpus/$name" ]] && cp -r "fuzz/corpus/$name/." "$work/"
  echo "fuzz.sh: $name for ${seconds}s"
  "$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work" 2>&1 \
    | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)' || true
  "$t" -runs=0 "$work" >/dev/null 2>&1   # re-check the final corpus (fails on any crash input)
  rm -rf "$work"; trap - EXIT
done
