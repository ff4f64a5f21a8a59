#!/usr/bin/env bash
# The main job: installs dependencies, builds tern, and starts a chat with the model shipped
# in models/. Extra arguments go to `tern chat` (e.g. -t 2, --temp 0.7, -sys "system prompt");
# with -hf REPO (or --hf-repo, -m) they name the model instead, e.g.
#   ./scripts/demo.sh -hf microsoft/bitnet-b1.58-2B-4T-gguf   # the real 2B4T, downloaded once
# If no chat-capable model is present yet, it runs `tern info` on the newest .gguf and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh release --target tern
for arg in "$@"; do
  case "$arg" in
    -hf|-hfr|--hf-repo|--hf-repo=*|-m|--model|--model=*) exec ./build/release/tern chat "$@" ;;
  esac
done
shopt -s nullglob
models=(models/*.gguf)
if ((${#models[@]} == 0)); then
  echo "demo.sh: no model in models/ yet; nothing to chat with." >&2
  exit 1
fi
newest=$(ls -t "${models[@]}" | head -n 1)
if ./build/release/tern chat --help >/dev/null 2>&1; then
  exec ./build/release/tern chat -m "$newest" "$@"
fi
echo "demo.sh: this build has no 'tern chat' yet; showing 'tern info $newest' instead." >&2
exec ./build/release/tern info "$newest"
