#!/usr/bin/env bash
# Configures and builds one configuration of tern into build/<config>.
#   release  (default) optimized, -Wall -Wextra -Werror
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer
#   aarch64  cross-compiled with g++-aarch64-linux-gnu (tests run under qemu-aarch64)
#   windows  cross-compiled with MinGW-w64 (tests run under Wine); its libraries are built
#            first by scripts/cross_deps.sh into build/deps-windows (once, then cached)
#   macos    macOS arm64 (Apple silicon), cross-compiled with Zig (cmake/aarch64-macos.cmake);
#            compiled and linked only: nothing here can run a Mach-O binary
#   fuzz     clang-14 libFuzzer targets (fuzz/), instrumented library
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
jobs=${TERN_JOBS:-$(getconf _NPROCESSORS_ONLN)}
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
  macos)   ./scripts/macos_deps.sh build  # PCRE2, libunistring, GoogleTest for macOS (cached)
           args=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-macos.cmake -DTERN_BENCH=OFF
                 -DTERN_MACOS_PREFIX="$(./scripts/macos_deps.sh prefix)") ;;
  fuzz)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14
                 -DTERN_FUZZ=ON -DTERN_TESTS=OFF -DTERN_BENCH=OFF) ;;
  *) echo "build.sh: unknown configuration '$config' (release|asan|aarch64|windows|macos|fuzz)" >&2; exit 2 ;;
esac
# On a Mac (native build), Homebrew's prefix holds the libraries scripts/install-deps-macos.sh installed.
if [[ $(uname -s) == Darwin && $config != macos ]] && command -v brew >/dev/null; then
  args+=(-DCMAKE_PREFIX_PATH="$(brew --prefix)")
fi
cmake -S . -B "build/$config" "${gen[@]}" "${args[@]}" >/dev/null
cmake --build "build/$config" -j "$jobs" "${@:2}"
