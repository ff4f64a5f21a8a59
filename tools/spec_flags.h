// The speculative-decoding flags of `tern run`, `tern chat` and `tern serve` (src/generate/): drafts from
// the context (prompt lookup), verified in one batched forward pass.
#pragma once

#include <CLI/CLI.hpp>

#include "generate/draft.h"

namespace tern::cli {

struct SpecFlags {
  // On by default: with the adaptive draft policy it was measured not to lose beyond the noise
  // where drafts do not pay (bench/README.md "Speculative decoding (prompt lookup)").
  bool on = true;
  gen::DraftConfig draft;
};

// --spec / --no-spec, --draft-max, --draft-min, --ngram-min, --ngram-max, --draft-policy (range-checked by
// CLI11 one by one; check_spec_flags checks them together).
void add_spec_flags(CLI::App& sub, SpecFlags& f);
// Throws tern::Error naming the flag when the values do not fit together.
void check_spec_flags(const SpecFlags& f);

}  // namespace tern::cli
