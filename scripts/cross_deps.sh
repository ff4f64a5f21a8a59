#!/usr/bin/env bash
# Builds tern's compiled dependencies for another target from Debian's own sources, into a
# prefix a cross build then finds (cmake/x86_64-w64-mingw32.cmake reads TERN_DEPS_PREFIX).
#
#   scripts/cross_deps.sh TARGET PREFIX [TOOLCHAIN_FILE]
#
# TARGET    the GNU host triplet passed to ./configure --host (x86_64-w64-mingw32, ...)
# PREFIX    where include/, lib/ and lib/pkgconfig/ go (e.g. build/deps-windows)
# TOOLCHAIN a CMake toolchain file for the target (GoogleTest is built with CMake)
# CC, CXX, AR, RANLIB  the target's tools (default TARGET-gcc, TARGET-g++, TARGET-ar,
#           TARGET-ranlib); a clang user sets e.g. CC="clang -target arm64-apple-macos".
#
# What: PCRE2 (8-bit, `apt-get source pcre2`), libunistring (`apt-get source libunistring`),
# both static; GoogleTest + GoogleMock from /usr/src/googletest (Debian's googletest package);
# and an include/ of symlinks to the header-only libraries in /usr/include (nlohmann, CLI,
# xsimd, boost): only those folders, never /usr/include itself, whose glibc headers would
# shadow the target C library's. Nothing else is downloaded. Each part is skipped when its
# stamp (PREFIX/.stamp-NAME-VERSION) exists, so a rerun takes a second.
set -euo pipefail
if (($# < 2)); then
  echo "usage: scripts/cross_deps.sh TARGET PREFIX [TOOLCHAIN_FILE]" >&2
  exit 2
fi
target=$1
mkdir -p "$2"
prefix=$(cd "$2" && pwd)
toolchain=${3:+$(cd "$(dirname "$3")" && pwd)/$(basename "$3")}
root=$(cd "$(dirname "$0")/.." && pwd)
src="$prefix/src"
jobs=${TERN_JOBS:-$(nproc)}
export CC=${CC:-$target-gcc} CXX=${CXX:-$target-g++} AR=${AR:-$target-ar} RANLIB=${RANLIB:-$target-ranlib}
mkdir -p "$src" "$prefix/include" "$prefix/lib"

log() { echo "cross_deps: $*" >&2; }

# The Debian source package NAME unpacked under $src; prints its directory.
debian_source() {
  local name=$1 version
  version=$(apt-cache showsrc "$name" | sed -n 's/^Version: //p' | head -1)
  if [[ -z $version ]]; then
    log "no source index for $name: run scripts/install-deps.sh (it enables deb-src)"
    exit 1
  fi
  local dir="$src/$name-$version"
  if [[ ! -d $dir ]]; then
    local tmp="$src/.get-$name"
    rm -rf "$tmp" && mkdir -p "$tmp"
    (cd "$tmp" && apt-get source -qq "$name" >/dev/null 2>&1) || { log "apt-get source $name failed"; exit 1; }
    mv "$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -1)" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

# autotools_lib NAME CONFIGURE_ARGS...: a static build of Debian source package NAME.
autotools_lib() {
  local name=$1
  shift
  local version
  version=$(apt-cache showsrc "$name" | sed -n 's/^Version: //p' | head -1)
  local stamp="$prefix/.stamp-$name-$version-$(echo "$*" | md5sum | cut -c1-8)"  # rebuilt when the options change
  if [[ -f $stamp ]]; then return; fi
  local dir
  dir=$(debian_source "$name")
  # Debian's patches leave some inputs newer than what autotools made of them, and make
  # would then run aclocal/automake; touch the generated files in their order instead.
  find "$dir" -name aclocal.m4 -exec touch {} +
  find "$dir" -name configure -exec touch {} +
  find "$dir" \( -name Makefile.in -o -name config.h.in \) -exec touch {} +
  local build="$src/build-$name"
  rm -rf "$build" && mkdir -p "$build"
  log "building $name $version for $target (log: $build/build.log)"
  local t0=$SECONDS
  (cd "$build" && "$dir/configure" --host="$target" --prefix="$prefix" --disable-shared --enable-static "$@" &&
     make -j"$jobs" && make install) >"$build/build.log" 2>&1 || { tail -30 "$build/build.log" >&2; log "$name failed"; exit 1; }
  log "$name built in $((SECONDS - t0)) s"
  touch "$stamp"
}

# PCRE2_STATIC: its own programs (pcre2grep, the tests) link the static library too. JIT as
# in Debian's own build: without it the pre-tokenizer pattern is ~100x slower on long digit
# runs (tests/tokenizer/llama3_cases_test.cpp, "OneMegabyteOfOneCharacter": 225 s vs < 90 s).
autotools_lib pcre2 --enable-pcre2-8 --disable-pcre2-16 --disable-pcre2-32 --enable-jit CPPFLAGS=-DPCRE2_STATIC
# libunistring's tests and documentation are not needed; its configure has no switch for
# them, but `make install` builds only the library.
autotools_lib libunistring

# GoogleTest: Debian ships its source for exactly this (build it with your own compiler).
gtest_version=$(dpkg-query -W -f='${Version}' googletest 2>/dev/null || true)
if [[ -n $toolchain && -n $gtest_version && ! -f "$prefix/.stamp-googletest-$gtest_version" ]]; then
  log "building googletest $gtest_version for $target"
  build="$src/build-googletest"
  rm -rf "$build"
  cmake -S /usr/src/googletest -B "$build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF -Dgtest_disable_pthreads=OFF >"$src/googletest.log" 2>&1
  cmake --build "$build" -j "$jobs" >>"$src/googletest.log" 2>&1
  cmake --install "$build" >>"$src/googletest.log" 2>&1
  touch "$prefix/.stamp-googletest-$gtest_version"
fi

# Header-only libraries: symlinks to exactly their folders in /usr/include.
for h in nlohmann CLI xsimd boost; do
  if [[ ! -e /usr/include/$h ]]; then
    log "/usr/include/$h missing: run scripts/install-deps.sh"
    exit 1
  fi
  ln -sfn "/usr/include/$h" "$prefix/include/$h"
done
log "ready: $prefix"
