#!/usr/bin/env bash
# Configures and builds one configuration of tern into build/<config>.
#   release  (default) optimized, -Wall -Wextra -Werror
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer
#   aarch64  cross-compiled with g++-aarch64-linux-gnu (tests run under qemu-aarch64)
#   windows  cross-compiled with MinGW-w64 (tests run under Wine); its libraries are built
#            first by scripts/cross_deps.sh into build/deps-windows (once, then cached)
#   fuzz     clang-14 libFuzzer targets (fuzz/), instrumented library
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
jobs=${TERN_JOBS:-$(nproc)}
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
case "$config" in
  release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_SANITIZE=ON -DTERN_BENCH=OFF) ;;
  aarch64) args=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DTERN_BENCH=OFF) ;;
  windows) CC=x86_64-w64-mingw32-gcc-posix CXX=x86_64-w64-mingw32-g++-posix \
             ./scripts/cross_deps.sh x86_64-w64-mingw32 build/deps-windows cmake/x86_64-w64-mingw32.cmake
           args=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=cmake/x86_64-w64-mingw32.cmake
                 -DTERN_DEPS_PREFIX="$PWD/build/deps-windows" -DTERN_BENCH=OFF) ;;
  fuzz)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14
                 -DTERN_FUZZ=ON -DTERN_TESTS=OFF -DTERN_BENCH=OFF) ;;
  *) echo "build.sh: unknown configuration '$config' (release|asan|aarch64|windows|fuzz)" >&2; exit 2 ;;
esac
cmake -S . -B "build/$config" "${gen[@]}" "${args[@]}" >/dev/null
cmake --build "build/$config" -j "$jobs" "${@:2}"
