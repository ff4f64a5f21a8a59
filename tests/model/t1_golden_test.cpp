// TERN_T1 (1.6-bit) models against TERN_T2: every golden model converted to both holds the
// same trits and the same divisor, and the kernels' dots are exact integers, so the logits
// must be BIT-IDENTICAL on every runnable kernel, batched (GEMM) and token by token (GEMV).
// Also: the file runs in place (zero copy), and Model::bytes_per_token counts T1's bytes.
// One test per (model, kernel), e.g. T1/T1Golden.SameLogitsAsT2BitForBit/tiny_a__avx2_mad
// (prefix T1, not Golden: like the unparameterized test before it, it stays out of the
// cortex-a53 run of scripts/test.sh).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "gguf/gguf_file.h"
#include "golden_params.h"

namespace tern::test {
namespace {


SessionOptions opts(int threads) { return golden_session_options(threads); }

// Logits of every position, one token per eval (the GEMV path).
std::vector<float> decode_one_by_one(std::shared_ptr<const Model> m, const std::vector<int32_t>& ids, int threads) {
  Session s(std::move(m), opts(threads));
  std::vector<float> out;
  for (int32_t id : ids) {
    std::span<const float> l = s.eval(std::span<const int32_t>(&id, 1));
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

using T1Golden = GoldenModelKernel;

TEST_P(T1Golden, SameLogitsAsT2BitForBit) {
  const std::string t2 = golden_gguf(model_, WeightType::TernT2);
  const std::string t1 = golden_gguf(model_, WeightType::TernT1);
  const nlohmann::json& g = golden_json(model_);
  auto m2 = Model::load(t2, kernel_options(kernel_));
  auto m1 = Model::load(t1, kernel_options(kernel_));
  ASSERT_EQ(m1->report().ternary_type, "TERN_T1");
  EXPECT_TRUE(m1->report().zero_copy);
  EXPECT_EQ(m1->report().repacked_tensors, 0);
  int checked = 0;
  for (const nlohmann::json& seq : g["sequences"]) {
    const auto ids = seq["ids"].get<std::vector<int32_t>>();
    const int threads = 1 + checked % 2;
    const auto a = eval_all(m1, ids, opts(threads));
    const auto b = eval_all(m2, ids, opts(threads));
    ASSERT_FALSE(a.empty());
    EXPECT_TRUE(bit_identical(a, b)) << seq["name"] << " batched, max|d| "
                                     << compare(a.data(), b.data(), 1, static_cast<int64_t>(a.size())).max_abs;
    if (checked == 0) {  // the decode path once per model and kernel (it is slower)
      const std::vector<int32_t> head(ids.begin(), ids.begin() + std::min<size_t>(ids.size(), 12));
      const auto c = decode_one_by_one(m1, head, 2);
      const auto d = decode_one_by_one(m2, head, 2);
      EXPECT_TRUE(bit_identical(c, d)) << seq["name"] << " token by token";
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(T1, T1Golden, ::testing::ValuesIn(golden_cases()), golden_case_name);

// bytes_per_token counts each ternary matrix at its own size: T1 reads rows of
// t1_row_bytes(k) (1.6 bits per padded weight) where T2 reads t2_row_bytes(k).
TEST(T1GoldenBytes, BytesPerTokenCountsT1Rows) {
  for (const std::string& model : golden_models()) {
    const auto m1 = Model::load(golden_gguf(model, WeightType::TernT1));
    const auto m2 = Model::load(golden_gguf(model, WeightType::TernT2));
    const gguf::File f1 = gguf::File::open(golden_gguf(model, WeightType::TernT1));
    uint64_t t1_codes = 0, t2_codes = 0;  // expected ternary bytes from the shapes
    for (const auto& t : f1.tensors()) {
      if (t.type != gguf::TensorType::TERN_T1) continue;
      const auto k = static_cast<int64_t>(t.dims[0]), rows = static_cast<int64_t>(t.dims[1]);
      t1_codes += static_cast<uint64_t>(rows * kernels::t1_row_bytes(k));
      t2_codes += static_cast<uint64_t>(rows * kernels::t2_row_bytes(k));
    }
    ASSERT_GT(t1_codes, 0u) << model;
    // Same lm_head in both: the difference is exactly the ternary bytes.
    EXPECT_EQ(m2->bytes_per_token() - m1->bytes_per_token(), t2_codes - t1_codes) << model;
  }
}

}  // namespace
}  // namespace tern::test
