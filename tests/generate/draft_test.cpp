// Prompt-lookup drafting (src/generate/draft.h): longest tail first, most recent match with
// a full draft, no draft without a match, the edges of the context and of the budget.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "generate/draft.h"
#include "tern/error.h"

namespace tern::gen {
namespace {

std::vector<int32_t> draft_of(const std::vector<int32_t>& ctx, DraftConfig c, int32_t max_tokens = 64) {
  std::vector<int32_t> out = {-7};  // must be cleared
  draft(ctx, c, max_tokens, out);
  return out;
}

DraftConfig cfg(int32_t nmin, int32_t nmax, int32_t dmax, int32_t dmin = 1) {
  DraftConfig c;
  c.ngram_min = nmin;
  c.ngram_max = nmax;
  c.draft_max = dmax;
  c.draft_min = dmin;
  return c;
}

using V = std::vector<int32_t>;

TEST(Draft, ProposesWhatFollowedTheTail) {
  // tail "2 3" occurred at 1..2, followed by 4 5 6.
  EXPECT_EQ(draft_of({1, 2, 3, 4, 5, 6, 9, 2, 3}, cfg(2, 4, 3)), (V{4, 5, 6}));
  EXPECT_EQ(draft_of({1, 2, 3, 4, 5, 6, 9, 2, 3}, cfg(2, 4, 2)), (V{4, 5}));
}

TEST(Draft, NoMatchNoDraft) {
  EXPECT_EQ(draft_of({1, 2, 3, 4, 5, 6, 7}, cfg(1, 4, 8)), V{});
  // "5 3" never occurred before; with ngram_min 2 the lone "3" is not looked up.
  EXPECT_EQ(draft_of({1, 2, 3, 4, 5, 3}, cfg(2, 4, 8)), V{});
  EXPECT_EQ(draft_of({1, 2, 3, 4, 5, 3}, cfg(1, 4, 8)), (V{4, 5, 3}));
  EXPECT_EQ(draft_of({}, cfg(1, 4, 8)), V{});
  EXPECT_EQ(draft_of({5}, cfg(1, 4, 8)), V{});
}

TEST(Draft, LongestTailWins) {
  // "8 2 3" matches at 4..6 (followed by 70); "2 3" alone matches later at 8..9 (followed by 60).
  const V ctx = {0, 0, 0, 0, 8, 2, 3, 70, 2, 3, 60, 8, 2, 3};
  EXPECT_EQ(draft_of(ctx, cfg(2, 3, 1)), V{70});
  EXPECT_EQ(draft_of(ctx, cfg(2, 2, 1)), V{60});  // only bigrams: the most recent "2 3"
}

TEST(Draft, MostRecentMatchWithAFullDraft) {
  // "1 2" at 0 (followed by 10 11 12) and at 4 (followed by 20 21 22): the later wins.
  const V ctx = {1, 2, 10, 11, 1, 2, 20, 21, 22, 9, 1, 2};
  EXPECT_EQ(draft_of(ctx, cfg(2, 2, 3)), (V{20, 21, 22}));
  // A run: the most recent "7 7" offers one token, an earlier one offers the full draft.
  EXPECT_EQ(draft_of({7, 7, 7, 7, 7, 7}, cfg(2, 2, 3)), (V{7, 7, 7}));
}

TEST(Draft, EdgeOfContext) {
  // The only match ends one token before the tail: only the tokens up to the end follow.
  EXPECT_EQ(draft_of({4, 5, 4, 5}, cfg(2, 2, 8)), (V{4, 5}));
  // Overlapping match: 1 1 1 -> tail "1 1", match at 0, one token (1) then the tail.
  EXPECT_EQ(draft_of({1, 1, 1}, cfg(2, 2, 8)), V{1});
  // Tail as long as the context: nothing earlier to match.
  EXPECT_EQ(draft_of({3, 3}, cfg(2, 2, 8)), V{});
}

TEST(Draft, BudgetAndDraftMin) {
  const V ctx = {1, 2, 3, 4, 5, 6, 1, 2};
  EXPECT_EQ(draft_of(ctx, cfg(2, 2, 8), 2), (V{3, 4}));  // room for 2 only (window or -n)
  EXPECT_EQ(draft_of(ctx, cfg(2, 2, 8), 0), V{});
  EXPECT_EQ(draft_of(ctx, cfg(2, 2, 8, 3), 2), V{});      // fewer than draft_min fit
  EXPECT_EQ(draft_of({4, 5, 4, 5}, cfg(2, 2, 8, 3)), V{});  // fewer than draft_min follow
  EXPECT_EQ(draft_of(ctx, cfg(2, 2, 8, 3), 100), (V{3, 4, 5, 6, 1, 2}));
  EXPECT_EQ(draft_of(ctx, cfg(2, 2, 8), -5), V{});
  // A config validate() would refuse still terminates (ngram_min 0 counts as 1).
  EXPECT_EQ(draft_of({1, 2, 1}, cfg(0, 2, 4)), (V{2, 1}));
}

TEST(Draft, ValidateNamesTheFlag) {
  auto message = [](DraftConfig c) {
    try {
      validate(c);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message(cfg(1, 4, 8)), "");
  EXPECT_NE(message(cfg(0, 4, 8)).find("--ngram-min"), std::string::npos);
  EXPECT_NE(message(cfg(3, 2, 8)).find("--ngram-max"), std::string::npos);
  EXPECT_NE(message(cfg(1, 4, 0)).find("--draft-max"), std::string::npos);
  EXPECT_NE(message(cfg(1, 4, kDraftLimit + 1)).find("--draft-max"), std::string::npos);
  EXPECT_NE(message(cfg(1, 4, 4, 5)).find("--draft-min"), std::string::npos);
}

}  // namespace
}  // namespace tern::gen
