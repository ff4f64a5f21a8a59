// The forward pass against ../shared/golden: every model, every runnable kernel, f32 KV
// cache. Tolerance tiers from each golden.json (README "How to compare").
#include <gtest/gtest.h>

#include <cstdio>

#include "golden_fixture.h"

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

TEST(GoldenLogits, EverySequenceEveryKernel) {
  const auto models = golden_models();
  ASSERT_GE(models.size(), 3u);
  for (const std::string& model : models) {
    const std::string path = converted_model(model);
    const nlohmann::json& g = golden_json(model);
    for (const kernels::Kernel* k : runnable_kernels()) {
      SCOPED_TRACE(model + " kernel " + k->name);
      auto m = Model::load(path, kernel_options(k));
      for (const nlohmann::json& seq : g["sequences"]) {
        check_sequence(model, seq, eval_all(m, ids_of(seq), f32_kv()), k->name);
      }
    }
  }
}

// F32 embedding (exact bf16 upcast) instead of the default F16.
TEST(GoldenLogits, F32Embedding) {
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
TEST(GoldenGreedy, ThirtyTwoTokensEveryKernel) {
  for (const std::string& model : golden_models()) {
    const nlohmann::json& gr = golden_json(model)["greedy"];
    const auto prompt = gr["prompt_ids"].get<std::vector<int32_t>>();
    const auto want = gr["new_ids"].get<std::vector<int32_t>>();
    const std::vector<float> step = read_f32(golden_dir(model) / "golden" / gr["step_logits"]["file"].get<std::string>());
    const int64_t V = gr["step_logits"]["shape"][1];
    for (const kernels::Kernel* k : runnable_kernels()) {
      SCOPED_TRACE(model + " kernel " + k->name);
      Session s(Model::load(converted_model(model), kernel_options(k)), f32_kv());
      std::span<const float> logits = s.eval(prompt);
      double worst = 0;
      for (size_t j = 0; j < want.size(); ++j) {
        worst = std::max(worst, compare(logits.data(), step.data() + j * V, 1, V).max_abs);
        const int32_t next = static_cast<int32_t>(argmax(logits.data(), V));
        ASSERT_EQ(next, want[j]) << "step " << j;
        logits = s.eval(std::span<const int32_t>(&next, 1));
      }
      EXPECT_LE(worst, 1e-3);
      std::printf("  %-12s %-10s greedy 32/32 ids, step logits max|d| %.3g\n", model.c_str(), k->name, worst);
    }
  }
}

// The residual stream after the embedding, each layer and the final norm, for len7.
TEST(GoldenHidden, EveryLayerEveryKernel) {
  for (const std::string& model : golden_models()) {
    const nlohmann::json& g = golden_json(model);
    const nlohmann::json& hs = g["hidden_states"];
    const auto shape = hs["shape"].get<std::vector<int64_t>>();  // [L+2, n, hidden]
    const std::vector<float> ref = read_f32(golden_dir(model) / "golden" / hs["file"].get<std::string>());
    std::vector<int32_t> ids;
    for (const nlohmann::json& seq : g["sequences"])
      if (seq["name"] == hs["sequence"]) ids = ids_of(seq);
    ASSERT_EQ(static_cast<int64_t>(ids.size()), shape[1]);
    for (const kernels::Kernel* k : runnable_kernels()) {
      SCOPED_TRACE(model + " kernel " + k->name);
      Session s(Model::load(converted_model(model), kernel_options(k)), f32_kv());
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
  }
}

}  // namespace
}  // namespace tern::test
