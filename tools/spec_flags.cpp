#include "tools/spec_flags.h"

namespace tern::cli {

void add_spec_flags(CLI::App& sub, SpecFlags& f) {
  sub.add_flag("--spec,!--no-spec", f.on,
               "speculative decoding with drafts from the context (prompt lookup); same output, "
               "fewer forward passes when text repeats")
      ->capture_default_str();
  sub.add_option("--draft-max", f.draft.draft_max, "tokens drafted at most per forward pass")
      ->check(CLI::Range(1, gen::kDraftLimit))
      ->capture_default_str();
  sub.add_option("--draft-min", f.draft.draft_min, "draft nothing when fewer tokens than this are found")
      ->check(CLI::Range(1, gen::kDraftLimit))
      ->capture_default_str();
  sub.add_option("--ngram-min", f.draft.ngram_min, "shortest context tail looked up for a draft")
      ->check(CLI::Range(1, gen::kNgramLimit))
      ->capture_default_str();
  sub.add_option("--ngram-max", f.draft.ngram_max, "longest context tail looked up (tried first)")
      ->check(CLI::Range(1, gen::kNgramLimit))
      ->capture_default_str();
}

void check_spec_flags(const SpecFlags& f) { gen::validate(f.draft); }

}  // namespace tern::cli
