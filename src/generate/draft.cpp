#include "generate/draft.h"

#include <algorithm>
#include <cstddef>

#include "tern/error.h"

namespace tern::gen {

void validate(const DraftConfig& c) {
  auto in = [](int32_t v, int32_t lo, int32_t hi, const char* name) {
    if (v < lo || v > hi) {
      throw Error(std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                  std::to_string(v));
    }
  };
  in(c.ngram_min, 1, kNgramLimit, "--ngram-min");
  in(c.ngram_max, c.ngram_min, kNgramLimit, "--ngram-max (>= --ngram-min)");
  in(c.draft_max, 1, kDraftLimit, "--draft-max");
  in(c.draft_min, 1, c.draft_max, "--draft-min (<= --draft-max)");
}

void draft(std::span<const int32_t> context, const DraftConfig& c, int32_t max_tokens, std::vector<int32_t>& out) {
  out.clear();
  if (max_tokens < c.draft_min || max_tokens <= 0 || c.draft_max <= 0) return;
  const std::size_t want = static_cast<std::size_t>(std::min(max_tokens, c.draft_max));
  const std::size_t n = context.size();
  for (int32_t ngram = c.ngram_max; ngram >= std::max(c.ngram_min, 1); --ngram) {
    const std::size_t m = static_cast<std::size_t>(ngram);
    if (m >= n) continue;  // the tail needs an earlier place to recur in
    const int32_t* tail = context.data() + (n - m);
    // Most recent first (start positions j < n - m, so that a token follows). A match close
    // to the end has few tokens after it (a run "a a a a" matched one back offers one), so
    // keep looking for one with a full draft after it, falling back to the longest seen.
    std::size_t best_from = 0, best_count = 0;
    for (std::size_t j = n - m; j-- > 0;) {
      if (!std::equal(tail, tail + m, context.data() + j)) continue;
      const std::size_t count = std::min(want, n - (j + m));
      if (count > best_count) best_from = j + m, best_count = count;
      if (count == want) break;
    }
    if (best_count == 0) continue;  // no match of this length: try a shorter tail
    if (best_count < static_cast<std::size_t>(c.draft_min)) return;
    out.assign(context.begin() + static_cast<std::ptrdiff_t>(best_from),
               context.begin() + static_cast<std::ptrdiff_t>(best_from + best_count));
    return;
  }
}

}  // namespace tern::gen
