#include "tools/spec_flags.h"

namespace tern::cli {

void add_spec_flags(CLI::App& sub, SpecFlags& f) {
  sub.add_flag("--spec,!--no-spec", f.on,
               "speculative decoding with drafts from the context (prompt lookup); same output, "
               "fewer forward passes when text repeats")
      ->capture_default_str();
  struct Value {
    const char* name;
    int32_t* field;
    int32_t max;
    const char* help;
  };
  const Value values[] = {
      {"--draft-max", &f.draft.draft_max, gen::kDraftLimit, "tokens drafted at most per forward pass"},
      {"--draft-min", &f.draft.draft_min, gen::kDraftLimit, "draft nothing when fewer tokens than this are found"},
      {"--ngram-min", &f.draft.ngram_min, gen::kNgramLimit, "shortest context tail looked up for a draft"},
      {"--ngram-max", &f.draft.ngram_max, gen::kNgramLimit, "longest context tail looked up (tried first)"},
  };
  for (const Value& v : values) sub.add_option(v.name, *v.field, v.help)->check(CLI::Range(1, v.max))->capture_default_str();
  sub.add_option_function<std::string>(
         "--draft-policy", [&f](const std::string& v) { f.draft.adaptive = v == "adaptive"; },
         "adaptive: verify only as many drafts as measured to pay for their rows (default); "
         "always: every draft found")
      ->check(CLI::IsMember({"adaptive", "always"}));
}

void check_spec_flags(const SpecFlags& f) { gen::validate(f.draft); }

}  // namespace tern::cli
