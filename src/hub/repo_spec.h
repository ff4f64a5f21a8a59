// `REPO[:FILE]` as typed after `tern pull` or `-hf` (llama.cpp's spelling): a Hugging Face
// repo id, then optionally a file path in the repo or a quantization tag (`:i2_s`).
// Everything here is untrusted text that later becomes part of a URL and of paths in the
// cache, so it is validated once, here (fuzz/fuzz_hub.cpp).
#pragma once

#include <string>
#include <string_view>

namespace tern::hub {

struct RepoSpec {
  std::string repo;      // "org/name" (or a legacy "name")
  std::string file;      // a path in the repo, or empty: pick the repo's GGUF
  std::string quant;     // a tag such as "i2_s" to match against GGUF names, or empty
  std::string revision = "main";
};

// "org/name", "org/name:path/in/repo.gguf" or "org/name:i2_s". A suffix with a '.' or a '/'
// is a file, anything else a quantization tag. `file_flag` (--hf-file) names the file
// instead; giving both is an error. Throws tern::Error naming the text on bad input.
RepoSpec parse_repo_spec(std::string_view text, std::string_view file_flag = {});

// Throws unless `repo` is a Hub repo id: one or two names of [A-Za-z0-9._-] (at most 96
// characters each), no "--" or "..", not starting or ending with '-' or '.'.
void check_repo_id(std::string_view repo);

// Throws unless `path` is a relative path inside a repo: no empty, "." or ".." components,
// no backslash or control character, at most 1024 bytes. `what` names it in the message.
void check_repo_path(std::string_view path, std::string_view what);

}  // namespace tern::hub
