// The opt-in lighter lm_head (Q8_0, `tern convert --embd-type q8_0`) on every golden model:
// applied to the exact model's final hidden states in both kernel modes (kernels/q8_head.h),
// against the exact F16 head's logits. Asserted:
//  - every logit within the bound the rounding explains: sum_i |w_i - w'_i| * |x_i| for the
//    weights' Q8_0 rounding (w' the Q8_0 value, w the F16 one), plus sum_i |w'_i| * dx_b / 2
//    for the Int8 mode's rounding of x, plus float32 slack;
//  - top-1 agrees wherever the exact top-1 / top-2 gap exceeds twice the row's largest bound
//    (then no rounding inside the bound can reorder them);
//  - overall top-1 agreement at least the floor stated below (observed values are printed
//    and recorded in bench/README.md; the floors sit just under them).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/q8_head.h"
#include "model/dense.h"
#include "golden_fixture.h"

namespace tern::test {
namespace {

using kernels::Q8Head;

struct Tally {
  int64_t agree = 0, total = 0, forced = 0;
  double max_abs = 0, max_bound = 0;
};

// One golden model's Q8_0 head (the tied embedding or the untied output.weight) against
// its exact F16 head, both kernel modes: the bound and forced-agreement asserts; returns the tallies.
void measure_q8_head(const char* name, Tally per[2]) {
  const SessionOptions so = golden_session_options();
  {
    auto exact = Model::load(converted_model(name));
    auto light = Model::load(converted_model(name, WeightType::TernT2, EmbdType::Q8_0));
    const model::DenseMatrix& hw = exact->data().w.lm_head;
    const model::DenseMatrix& lw = light->data().w.lm_head;
    ASSERT_EQ(lw.type, gguf::TensorType::Q8_0);
    const int64_t V = exact->hparams().n_vocab, E = exact->hparams().n_embd;
    // Both heads decoded once (tiny models): |w - w'| and |w'| per element.
    std::vector<float> w(static_cast<size_t>(V * E)), wl(w.size());
    for (int64_t r = 0; r < V; ++r) {
      model::dense_row(hw, r, w.data() + r * E);
      model::dense_row(lw, r, wl.data() + r * E);
    }
    for (const auto& seq : golden_json(name)["sequences"]) {
      const auto ids = seq["ids"].get<std::vector<int32_t>>();
      const int64_t n = static_cast<int64_t>(ids.size());
      const auto [hidden, ref] = final_hidden_and_logits(exact, ids, so);
      std::vector<uint8_t> acts(static_cast<size_t>(n * kernels::q8_acts_bytes(E)));
      kernels::quantize_q8_acts(hidden.data(), E, n, acts.data());
      for (Q8Head mode : {Q8Head::F32, Q8Head::Int8}) {
        const int mi = mode == Q8Head::F32 ? 0 : 1;
        std::vector<float> y(static_cast<size_t>(n * V));
        kernels::gemm_q8_0_rows(mode, lw.data, E, hidden.data(), acts.data(), n, y.data(), V, 0, V);
        for (int64_t t = 0; t < n; ++t) {
          const float* x = hidden.data() + t * E;
          const uint8_t* at = acts.data() + t * kernels::q8_acts_bytes(E);
          double row_bound = 0;
          for (int64_t r = 0; r < V; ++r) {
            double bound = 0, mag = 0;
            for (int64_t i = 0; i < E; ++i) {
              const double a = w[static_cast<size_t>(r * E + i)], b = wl[static_cast<size_t>(r * E + i)];
              bound += std::fabs(a - b) * std::fabs(x[i]);
              mag += (std::fabs(a) + std::fabs(b)) * std::fabs(x[i]);
              if (mode == Q8Head::Int8) {
                float dx;
                std::memcpy(&dx, at + E + i / kernels::kQ8Block * 4, 4);
                bound += std::fabs(b) * dx / 2;
              }
            }
            bound += 1e-5 * mag;
            const double d = std::fabs(static_cast<double>(y[static_cast<size_t>(t * V + r)]) - ref[static_cast<size_t>(t * V + r)]);
            ASSERT_LE(d, bound) << name << " pos " << t << " row " << r << " mode " << mi;
            per[mi].max_abs = std::max(per[mi].max_abs, d);
            row_bound = std::max(row_bound, bound);
          }
          per[mi].max_bound = std::max(per[mi].max_bound, row_bound);
          const bool agree = argmax(y.data() + t * V, V) == argmax(ref.data() + t * V, V);
          if (margin(ref.data() + t * V, V) > 2 * row_bound) {
            ++per[mi].forced;
            EXPECT_TRUE(agree) << name << " pos " << t << ": gap beyond the bound, yet top-1 moved";
          }
          per[mi].agree += agree;
          ++per[mi].total;
        }
      }
    }
    for (int mi = 0; mi < 2; ++mi) {
      std::printf("  %-12s q8_0 head (%s): top-1 %lld/%lld (%.1f%%), max|d logit| %.3g (bound up to %.3g), "
                  "%lld positions with a gap beyond the bound\n",
                  name, mi == 0 ? "f32 " : "int8", static_cast<long long>(per[mi].agree),
                  static_cast<long long>(per[mi].total), 100.0 * static_cast<double>(per[mi].agree) / static_cast<double>(per[mi].total),
                  per[mi].max_abs, per[mi].max_bound, static_cast<long long>(per[mi].forced));
    }
  }
}

TEST(LightHead, Q8_0AgreementOnGoldenModels) {
  Tally all[2];
  for (const char* name : {"tiny-a", "tiny-b", "tiny-a-bf16"}) {
    Tally per[2];
    measure_q8_head(name, per);
    for (int mi = 0; mi < 2; ++mi) {
      all[mi].agree += per[mi].agree;
      all[mi].total += per[mi].total;
      all[mi].max_abs = std::max(all[mi].max_abs, per[mi].max_abs);
    }
  }
  for (int mi = 0; mi < 2; ++mi) {
    std::printf("  all golden   q8_0 head (%s): top-1 %lld/%lld (%.2f%%), max|d logit| %.3g\n", mi == 0 ? "f32 " : "int8",
                static_cast<long long>(all[mi].agree), static_cast<long long>(all[mi].total),
                100.0 * static_cast<double>(all[mi].agree) / static_cast<double>(all[mi].total), all[mi].max_abs);
  }
  // `tern info` quotes the default (F32) mode's figures: they must be the measured ones.
  const std::string quoted = std::to_string(all[0].agree) + "/" + std::to_string(all[0].total);
  EXPECT_NE(model::head_accuracy_note("Q8_0").find(quoted), std::string::npos)
      << "update head_accuracy_note (src/model/dense.cpp) to " << quoted;
  EXPECT_EQ(model::head_accuracy_note("F16"), "");
  // Floors (observed just above them; see bench/README.md).
  EXPECT_GE(static_cast<double>(all[0].agree), 0.97 * static_cast<double>(all[0].total));
  EXPECT_GE(static_cast<double>(all[1].agree), 0.95 * static_cast<double>(all[1].total));
}

// The untied lm_head (llama158-a's output.weight) takes --embd-type like the tied one: its
// Q8_0 form stays within the rounding bound at every logit, and keeps top-1 wherever the
// gap exceeds the bound.
TEST(LightHead, UntiedHeadQ8_0WithinTheRoundingBound) {
  auto light = Model::load(converted_model("llama158-a", WeightType::TernT2, EmbdType::Q8_0));
  EXPECT_EQ(light->report().lm_head, "output.weight");
  EXPECT_EQ(light->report().lm_head_type, "Q8_0");
  EXPECT_EQ(light->report().embedding_type, "Q8_0");
  Tally per[2];
  measure_q8_head("llama158-a", per);
  EXPECT_GT(per[0].total, 0);
}

}  // namespace
}  // namespace tern::test
