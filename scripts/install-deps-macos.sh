#!/usr/bin/env bash
# macOS (Apple silicon) counterpart of scripts/install-deps.sh: the same libraries from
# Homebrew (https://brew.sh must be installed); libedit and the C++ compiler are the system's
# (Xcode Command Line Tools: `xcode-select --install`). Idempotent, as brew is.
# Not run here: this project's machines are Linux, where the macOS build is a cross build
# (scripts/build.sh macos); see README "macOS".
set -euo pipefail
command -v brew >/dev/null || { echo "install-deps-macos: Homebrew is needed: https://brew.sh" >&2; exit 1; }
xcode-select -p >/dev/null 2>&1 || { echo "install-deps-macos: run 'xcode-select --install' first" >&2; exit 1; }
brew install cmake ninja pkgconf pcre2 libunistring googletest nlohmann-json cli11 xsimd boost cpp-httplib
