#!/usr/bin/env bash
# The whole test command: installs dependencies, then builds and runs
#   1. the Release suite, 2. the ASan+UBSan suite, 3. the aarch64 suite under qemu
#   (with and without dotprod), 4. the Windows x86-64 suite (MinGW-w64) under Wine,
#   5. the macOS arm64 cross build (compiled and linked, not run),
#   6. every libFuzzer target for a bounded time.
# Fails on the first failing step. TERN_FUZZ_SECONDS (default 60) bounds each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
fuzz_seconds=${TERN_FUZZ_SECONDS:-60}
# Each step prints how long the previous one took, so CI's time per stage is in its log.
step_started=$SECONDS
step_name=""
step() {
  [[ -n "$step_name" ]] && printf '==== %s: %d s ====\n' "$step_name" $((SECONDS - step_started))
  step_name="$*"; step_started=$SECONDS
  printf '\n==== %s ====\n' "$*"
}

step "release build + tests"
./scripts/build.sh release
ctest --test-dir build/release --output-on-failure -j 2

step "asan+ubsan build + tests"
./scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j 2

step "aarch64 build + tests under qemu (-cpu max: NEON + dotprod)"
./scripts/build.sh aarch64
QEMU_CPU=max ctest --test-dir build/aarch64 --output-on-failure -j 2
step "aarch64 kernel + model tests under qemu (-cpu cortex-a53: NEON without dotprod)"
QEMU_CPU=cortex-a53 ctest --test-dir build/aarch64 --output-on-failure -j 2 -R '^(Kernel|Model|Golden)'

step "windows build (MinGW-w64) + tests under Wine"
./scripts/build.sh windows
# A Wine prefix of the build's own (made on first use, ~15 s), no Wine debug chatter.
export WINEPREFIX="$PWD/build/wineprefix" WINEDEBUG=-all
/usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1
ctest --test-dir build/windows --output-on-failure -j 2
/usr/lib/wine/wineserver -k || true  # the prefix's server would otherwise linger a few seconds
unset WINEPREFIX WINEDEBUG

step "macOS arm64 cross build (Zig): compiled and linked only, nothing here runs Mach-O"
./scripts/build.sh macos
./scripts/check_macos_build.sh build/macos

step "fuzz targets, ${fuzz_seconds}s each"
./scripts/build.sh fuzz
./scripts/fuzz.sh "$fuzz_seconds"
step "done"
echo "test.sh: all suites passed in $SECONDS s"
