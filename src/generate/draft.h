// Prompt-lookup drafting: guesses the next tokens by finding the context's tail earlier in
// the context and proposing what followed it there. No model, no state: a rewrite, a quote,
// code that repeats its identifiers or a list that repeats its structure often continues
// the way an earlier passage did, and a wrong guess only costs verification rows
// (src/generate/speculative.h), never a different output.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tern::gen {

struct DraftConfig {
  int32_t ngram_min = 2;  // shortest tail that may be matched (a lone token matches too often)
  int32_t ngram_max = 4;  // longest tail tried first: longer matches predict better
  int32_t draft_max = 8;  // tokens proposed at most
  int32_t draft_min = 1;  // fewer proposed than this: propose none
  // Verify only as many drafts as measured to pay (src/generate/draft_policy.h); false:
  // verify every draft found (for measurements and tests that count drafts).
  bool adaptive = true;
};

// Throws tern::Error naming the field when the config is out of range (each value must be
// >= 1, ngram_min <= ngram_max, draft_min <= draft_max; at most kDraftLimit / kNgramLimit).
void validate(const DraftConfig& c);
inline constexpr int32_t kDraftLimit = 64;
inline constexpr int32_t kNgramLimit = 16;

// Sets `out` to up to min(max_tokens, c.draft_max) tokens that followed an earlier
// occurrence of the context's last n tokens, for the longest n in [ngram_min, ngram_max]
// that has one: the most recent occurrence with that many tokens after it, else the one
// with the most. Proposes nothing when no tail recurs, when fewer
// than c.draft_min tokens follow the match, or when max_tokens < c.draft_min. The search is
// a backwards scan, O(context x ngram_max) token compares: a few microseconds a call on
// contexts of thousands of tokens, nothing beside a forward pass.
void draft(std::span<const int32_t> context, const DraftConfig& c, int32_t max_tokens, std::vector<int32_t>& out);

}  // namespace tern::gen
