// -hf REPO[:FILE] (--hf-repo) and --hf-file FILE (llama.cpp's spellings; -hf and -hff are
// rewritten to them by flag_spellings.cpp) on run, chat, serve and bench: a model from the
// Hugging Face Hub, resolved to a local GGUF path (src/hub/hub_client.h) before the
// subcommand proceeds as with -m. `tern pull` (cmd_pull.cpp) resolves the same way.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tern::cli {

struct HubFlags {
  std::string repo;  // REPO[:FILE]
  std::string file;
};

void add_hub_flags(CLI::App& sub, HubFlags& flags);

// The GGUF to load: `model` (-m) when given, else -hf resolved through the Hub cache,
// downloading (progress bar on stderr when it is a terminal) or converting as needed.
// Throws tern::Error when both or neither are given.
std::string model_path(const std::string& model, const HubFlags& hub);

// `REPO[:FILE]` (+ --hf-file) to a local path, as `tern pull` and -hf do.
std::string pull_from_hub(const std::string& spec, const std::string& file);

}  // namespace tern::cli
