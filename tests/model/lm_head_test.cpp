// Quantized token embeddings / lm_heads (Q8_0, Q6_K, Q4_0): the loader's row decoder
// agrees with the converter's, and how far a quantized tied head moves the golden logits
// (top-1 agreement with the exact F16 head on every golden sequence).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "hf/quantize_embd.h"
#include "model/dense.h"
#include "golden_fixture.h"

namespace tern::test {
namespace {

using gguf::TensorType;

TEST(ModelDense, RowDecoderMatchesConverter) {
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 0.7f);
  const int64_t n = 512;
  for (TensorType t : {TensorType::Q8_0, TensorType::Q6_K, TensorType::Q4_0, TensorType::F16}) {
    SCOPED_TRACE(gguf::type_name(t));
    std::vector<float> x(n);
    for (float& v : x) v = nd(rng);
    x[3] = 5.0f;  // an outlier in the first block
    std::vector<uint8_t> q(hf::embd_row_bytes(t, n, "test"));
    hf::quantize_embd_row(t, x.data(), n, q.data(), nullptr);
    std::vector<float> want(n), got(n);
    hf::dequantize_embd_row(t, q.data(), n, want.data());
    model::DenseMatrix m;
    m.type = t;
    m.data = q.data();
    m.rows = 1;
    m.cols = n;
    m.row_bytes = model::dense_row_bytes(t, n);
    ASSERT_EQ(m.row_bytes, q.size());
    model::dense_row(m, 0, got.data());
    EXPECT_EQ(got, want);
    // And the matmul path equals a dot product with the decoded row.
    float y = 0;
    model::dense_matmul(m, x.data(), n, 1, &y, 1, 0, 1);
    double ref = 0;
    for (int64_t i = 0; i < n; ++i) ref += static_cast<double>(want[i]) * x[i];
    EXPECT_NEAR(y, ref, 1e-3 * (1 + std::fabs(ref)));
  }
}

struct HeadCase {
  EmbdType type;
  double min_top1_head;  // loose bounds, fraction of positions
  double min_top1_tied;
};

// Two measurements per quantized type, against the exact F16 model on every golden
// sequence: "head only" applies the quantized matrix to the exact model's final hidden
// states (what a quantized lm_head alone costs); "tied" runs the whole model with the
// quantized table as embedding AND head (what a converted file with --embd-type gives).
// On these tiny random models one int8 flip moves logits by 0.01-0.4, so "tied" is harsh.
TEST(ModelDense, QuantizedHeadTop1Agreement) {
  const HeadCase cases[] = {{EmbdType::Q8_0, 0.97, 0.85}, {EmbdType::Q6_K, 0.92, 0.85}, {EmbdType::Q4_0, 0.75, 0.55}};
  const SessionOptions so = golden_session_options();
  for (const char* model : {"tiny-a", "tiny-b"}) {
    auto exact = Model::load(converted_model(model));
    const int64_t V = exact->hparams().n_vocab, E = exact->hparams().n_embd;
    for (const HeadCase& c : cases) {
      auto q = Model::load(converted_model(model, WeightType::TernT2, c.type));
      int64_t head_agree = 0, tied_agree = 0, total = 0;
      double head_worst = 0, tied_worst = 0;
      for (const auto& seq : golden_json(model)["sequences"]) {
        const auto ids = seq["ids"].get<std::vector<int32_t>>();
        const int64_t n = static_cast<int64_t>(ids.size());
        const auto [hidden, a] = final_hidden_and_logits(exact, ids, so);
        std::vector<float> head(static_cast<size_t>(n * V));
        model::dense_matmul(q->data().w.lm_head, hidden.data(), E, n, head.data(), V, 0, V);
        const Diff dh = compare(head.data(), a.data(), n, V);
        const auto b = eval_all(q, ids, so);
        const Diff dt = compare(b.data(), a.data(), n, V);
        head_agree += dh.top1_agree;
        tied_agree += dt.top1_agree;
        total += n;
        head_worst = std::max(head_worst, dh.max_abs);
        tied_worst = std::max(tied_worst, dt.max_abs);
      }
      std::printf("  %-7s %-5s head only: top-1 %lld/%lld (%.1f%%) max|d| %.3g | tied embd+head: top-1 %lld/%lld (%.1f%%) max|d| %.3g\n",
                  model, embd_type_name(c.type), static_cast<long long>(head_agree), static_cast<long long>(total),
                  100.0 * static_cast<double>(head_agree) / static_cast<double>(total), head_worst,
                  static_cast<long long>(tied_agree), static_cast<long long>(total),
                  100.0 * static_cast<double>(tied_agree) / static_cast<double>(total), tied_worst);
      EXPECT_GE(static_cast<double>(head_agree), c.min_top1_head * static_cast<double>(total)) << embd_type_name(c.type);
      EXPECT_GE(static_cast<double>(tied_agree), c.min_top1_tied * static_cast<double>(total)) << embd_type_name(c.type);
    }
  }
}

}  // namespace
}  // namespace tern::test
