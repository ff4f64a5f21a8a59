// The forward pass against ../shared/golden: every model, every runnable kernel, f32 KV
// cache. Tolerance tiers from each golden.json (README "How to compare"). One test per
// (model, kernel) (golden_params.h), named e.g. Golden/GoldenLogits.EverySequence/tiny_a__avx2_mad.
#include <gtest/gtest.h>

#include <cstdio>

#include "golden_params.h"

namespace tern::test {
namespace {


SessionOptions f32_kv() { return golden_session_options(2); }

std::vector<int32_t> ids_of(const nlohmann::json& seq) { return seq["ids"].get<std::vector<int32_t>>(); }

// Checks one sequence's logits against the golden file by its tier.
void check_sequence(const std::string& model, const nlohmann::json& seq, const std::vector<float>& got,
                    const std::string& label) {
  const std::string name = seq["name"];
  const int64_t n = static_cast<int64_t>(seq["ids"].size());
  const int64_t V = seq["logits"]["shape"][1];
  const std::vector<float> ref = read_f32(golden_dir(model) / "golden" / seq["logits"]["file"].get<std::string>());
  ASSERT_EQ(ref.size(), static_cast<size_t>(n * V));
  ASSERT_EQ(got.size(), ref.size());
  const Diff all = compare(got.data(), ref.data(), n, V);
  std::printf("  %-12s %-10s %-7s max|d| %.3g  top-1 %lld/%lld\n", model.c_str(), label.c_str(), name.c_str(),
              all.max_abs, static_cast<long long>(all.top1_agree), static_cast<long long>(all.rows));
  if (name == "tie16") {
    EXPECT_LE(compare(got.data(), ref.data(), 4, V).max_abs, 1e-3) << name << " positions 0-3";
    EXPECT_LE(all.max_abs, 1.0) << name;
  } else if (name == "len200") {
    EXPECT_LE(all.max_abs, 1.0) << name;
    for (int64_t p = 0; p < n; ++p) {
      if (margin(ref.data() + p * V, V) > 2.0) {
        EXPECT_EQ(argmax(got.data() + p * V, V), argmax(ref.data() + p * V, V)) << name << " position " << p;
      }
    }
  } else {
    EXPECT_LE(all.max_abs, 1e-3) << name;
  }
}

// The fixed list of golden_params.h is every golden model ../shared has.
TEST(GoldenModels, KnownListIsShared) {
  EXPECT_EQ(golden_models(), known_golden_models())
      << "../shared/golden and known_golden_models() (tests/model/golden_params.h) disagree: add the new model there";
}

using GoldenLogits = GoldenModelKernel;

TEST_P(GoldenLogits, EverySequence) {
  const std::string path = golden_gguf(model_);
  const nlohmann::json& g = golden_json(model_);
  auto m = Model::load(path, kernel_options(kernel_));
  for (const nlohmann::json& seq : g["sequences"]) {
    check_sequence(model_, seq, eval_all(m, ids_of(seq), f32_kv()), kernel_->name);
  }
}

// F32 embedding (exact bf16 upcast) instead of the default F16 (default kernel).
TEST(GoldenF32Embedding, EveryModel) {
  for (const std::string& model : golden_models()) {
    SCOPED_TRACE(model);
    auto m = Model::load(converted_model(model, WeightType::TernT2, EmbdType::F32));
    EXPECT_EQ(m->report().embedding_type, "F32");
    for (const nlohmann::json& seq : golden_json(model)["sequences"]) {
      if (seq["name"] == "len200") continue;
      check_sequence(model, seq, eval_all(m, ids_of(seq), f32_kv()), "embd-f32");
    }
  }
}

// Greedy decoding from len7, one token per eval (the GEMV path): the 32 ids exactly and
// every step's logits within the short tier.
using GoldenGreedy = GoldenModelKernel;

TEST_P(GoldenGreedy, ThirtyTwoTokens) {
  const nlohmann::json& gr = golden_json(model_)["greedy"];
  const auto prompt = gr["prompt_ids"].get<std::vector<int32_t>>();
  const auto want = gr["new_ids"].get<std::vector<int32_t>>();
  const std::vector<float> step = read_f32(golden_dir(model_) / "golden" / gr["step_logits"]["file"].get<std::string>());
  const int64_t V = gr["step_logits"]["shape"][1];
  Session s(Model::load(golden_gguf(model_), kernel_options(kernel_)), f32_kv());
  std::span<const float> logits = s.eval(prompt);
  double worst = 0;
  for (size_t j = 0; j < want.size(); ++j) {
    worst = std::max(worst, compare(logits.data(), step.data() + j * V, 1, V).max_abs);
    const int32_t next = static_cast<int32_t>(argmax(logits.data(), V));
    ASSERT_EQ(next, want[j]) << "step " << j;
    logits = s.eval(std::span<const int32_t>(&next, 1));
  }
  EXPECT_LE(worst, 1e-3);
  std::printf("  %-12s %-10s greedy 32/32 ids, step logits max|d| %.3g\n", model_.c_str(), kernel_->name, worst);
}

// The residual stream after the embedding, each layer and the final norm, for len7.
using GoldenHidden = GoldenModelKernel;

TEST_P(GoldenHidden, EveryLayer) {
  const nlohmann::json& g = golden_json(model_);
  const nlohmann::json& hs = g["hidden_states"];
  const auto shape = hs["shape"].get<std::vector<int64_t>>();  // [L+2, n, hidden]
  const std::vector<float> ref = read_f32(golden_dir(model_) / "golden" / hs["file"].get<std::string>());
  std::vector<int32_t> ids;
  for (const nlohmann::json& seq : g["sequences"])
    if (seq["name"] == hs["sequence"]) ids = ids_of(seq);
  ASSERT_EQ(static_cast<int64_t>(ids.size()), shape[1]);
  Session s(Model::load(golden_gguf(model_), kernel_options(kernel_)), f32_kv());
  std::vector<float> got(ref.size(), NAN);
  s.set_hidden_hook([&](int index, int64_t pos, std::span<const float> h) {
    ASSERT_LT(index, shape[0]);
    ASSERT_EQ(static_cast<int64_t>(h.size()), shape[2]);
    std::copy(h.begin(), h.end(), got.begin() + (index * shape[1] + pos) * shape[2]);
  });
  s.eval(ids);
  for (int64_t i = 0; i < shape[0]; ++i) {
    const Diff d = compare(got.data() + i * shape[1] * shape[2], ref.data() + i * shape[1] * shape[2], shape[1], shape[2]);
    EXPECT_LE(d.max_abs, 1e-3) << "hidden index " << i << " (" << hs["index"][i].get<std::string>() << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenLogits, ::testing::ValuesIn(golden_cases()), golden_case_name);
INSTANTIATE_TEST_SUITE_P(Golden, GoldenGreedy, ::testing::ValuesIn(golden_cases()), golden_case_name);
INSTANTIATE_TEST_SUITE_P(Golden, GoldenHidden, ::testing::ValuesIn(golden_cases()), golden_case_name);

}  // namespace
}  // namespace tern::test
