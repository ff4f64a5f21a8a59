// Flags shared by the subcommands that load a model and talk to it (run, chat, serve):
// model and session options, sampling options, and the one function that loads both.
// Names and meanings follow llama.cpp where they mean the same (-m -t -c -b --kernel
// --temp --top-k --top-p --min-p --repeat-penalty --repeat-last-n --presence-penalty
// --frequency-penalty -s/--seed; -sys and other llama.cpp spellings: flag_spellings.h).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tern/model.h"
#include "tern/sampler.h"
#include "tern/session.h"
#include "tern/tokenizer.h"
#include "tools/hub_flags.h"

namespace tern::cli {

struct ModelFlags {
  std::string model;  // -m, or set from -hf by resolve_model()
  HubFlags hub;
  int threads = 0;
  int64_t ctx = 0;
  int64_t batch = 64;
  std::string kernel;
  std::string kv_type = "f16";
  std::string activation;  // "", "relu2" or "silu": overrides the file's FFN activation
};

void add_model_flags(CLI::App& sub, ModelFlags& flags);
// Sets flags.model from -hf when given (downloading as needed); throws unless exactly one of
// -m and -hf names the model. Each subcommand's runner calls it first.
void resolve_model(ModelFlags& flags);
// -t values above the machine's hardware threads are lowered to it, with a note (every
// subcommand that takes -t uses it, so a typo like -t 999 never spins 999 threads).
CLI::Validator threads_within_cores();
// A note on stderr when -c asks for more context than the model was trained on.
void warn_if_beyond_training(const Model& model, const ModelFlags& flags);
void add_sampling_flags(CLI::App& sub, SamplerConfig& config);
// --allow-special-in-content (run, chat, serve): special-token text that a user wrote
// (message content, a raw prompt) becomes control tokens instead of staying text.
void add_special_in_content_flag(CLI::App& sub, bool& allow);

ModelOptions model_options(const ModelFlags& flags);
SessionOptions session_options(const ModelFlags& flags);

// The model's tokenizer; throws tern::Error naming the file when it has no vocabulary.
const tok::Tokenizer& require_tokenizer(const Model& model);
// The chat template stored in the model (tokenizer.chat_template), if any.
std::optional<std::string> model_chat_template(const Model& model);

}  // namespace tern::cli
