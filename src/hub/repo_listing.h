// What a repo holds and which of its files tern fetches.
//
// The listing is the Hub's tree API, GET {endpoint}/api/models/{repo}/tree/{revision}?recursive=true:
//   [{"type":"file","path":"ggml-model-i2_s.gguf","size":1187801280,"oid":"...",
//     "lfs":{"oid":"<sha256>","size":1187801280,"pointerSize":135}}, {"type":"directory",...}]
// (untrusted: fuzz/fuzz_hub.cpp). The choice: a named file; else the repo's GGUF (by a
// quantization tag when given; among several, a ternary one tern loads, i2_s first); else, a
// Hugging Face checkpoint (config.json + *.safetensors) to download and convert.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/repo_spec.h"

namespace tern::hub {

struct RepoFile {
  std::string path;
  std::optional<uint64_t> size;
};

// Throws tern::Error naming `what` (the URL) when the text is not such a listing or a path in
// it is not a safe repo path.
std::vector<RepoFile> parse_tree_listing(std::string_view json, const std::string& what);

struct Choice {
  std::vector<std::string> files;  // to download, in order
  std::string gguf;                // the GGUF among them, or empty for a checkpoint
  bool checkpoint() const { return gguf.empty(); }
};

// Throws tern::Error listing the candidates when the choice is ambiguous or impossible.
Choice choose_files(const RepoSpec& spec, const std::vector<std::string>& paths);

}  // namespace tern::hub
