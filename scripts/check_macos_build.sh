#!/usr/bin/env bash
# Checks what the macOS cross build (scripts/build.sh macos) made, since nothing here can run
# it: `tern` and every test executable are Mach-O arm64 executables, and `tern` holds the
# NEON kernels' instructions (dotprod's sdot, i8mm's smmla), i.e. kernels/arm/ was compiled
# in with its ISA flags. Usage: scripts/check_macos_build.sh BUILD_DIR
set -euo pipefail
dir=${1:?usage: check_macos_build.sh BUILD_DIR}
fail() { echo "check_macos_build: $*" >&2; exit 1; }
mapfile -t exes < <(find "$dir" -maxdepth 2 -type f \( -name tern -o -name 'test_*' \) -perm -u+x | sort)
((${#exes[@]} > 1)) || fail "no tern and test executables under $dir"
for exe in "${exes[@]}"; do
  file -b "$exe" | grep -q '^Mach-O 64-bit arm64 executable' || fail "$exe is not a Mach-O arm64 executable: $(file -b "$exe")"
done
disasm=$(llvm-objdump-14 -d --no-show-raw-insn --mattr=+dotprod,+i8mm "$dir/tern")  # else shown as <unknown>
for insn in sdot smmla; do
  n=$(grep -cw "$insn" <<<"$disasm" || true)
  ((n > 0)) || fail "$dir/tern has no $insn instruction: the NEON kernels are not in it"
  counts+="$insn $n, "
done
echo "check_macos_build: ${#exes[@]} Mach-O arm64 executables ($(basename -a "${exes[@]}" | tr '\n' ' '))"
echo "check_macos_build: tern's NEON kernel instructions: ${counts%, }"
