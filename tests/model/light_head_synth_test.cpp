// `tern synth --embd-type q8_0`: the synthetic model with the lighter head holds the same
// draws as the F16 one (same seed), quantized: every Q8_0 value lies within half its block
// step of the F16 value, plus the F16 value's own rounding.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "platform/environment.h"
#include "model/dense.h"
#include "model_test_util.h"

namespace tern::test {
namespace {

namespace fs = std::filesystem;

int run_status(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf;
  while (std::fread(buf.data(), 1, buf.size(), p) > 0) {
  }
  return ::pclose(p);
}

TEST(LightHeadSynth, Q8_0HeadHoldsTheF16DrawsQuantized) {
  if (!fs::exists(TERN_BINARY) || run_status(std::string(TERN_BINARY) + " --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "cannot run the tern binary here: " << TERN_BINARY;
  const fs::path dir = fs::temp_directory_path() / ("tern-light-head-" + std::to_string(tern::process_id()));
  fs::create_directories(dir);
  const std::string f16 = (dir / "f16.gguf").string(), q8 = (dir / "q8.gguf").string();
  const std::string synth = std::string(TERN_BINARY) + " synth --shape tiny --seed 5 -o ";
  ASSERT_EQ(run_status(synth + f16 + " 2>/dev/null"), 0);
  ASSERT_EQ(run_status(synth + q8 + " --embd-type q8_0 2>/dev/null"), 0);
  {
    auto a = Model::load(f16);
    auto b = Model::load(q8);
    const model::DenseMatrix& ha = a->data().w.lm_head;
    const model::DenseMatrix& hb = b->data().w.lm_head;
    ASSERT_EQ(ha.type, gguf::TensorType::F16);
    ASSERT_EQ(hb.type, gguf::TensorType::Q8_0);
    ASSERT_EQ(ha.rows, hb.rows);
    ASSERT_EQ(ha.cols, hb.cols);
    EXPECT_LT(b->bytes_per_token(), a->bytes_per_token());
    std::vector<float> ra(static_cast<size_t>(ha.cols)), rb(ra.size());
    int64_t nonzero = 0;
    for (int64_t r = 0; r < ha.rows; r += 37) {
      model::dense_row(ha, r, ra.data());
      model::dense_row(hb, r, rb.data());
      for (int64_t b0 = 0; b0 < ha.cols; b0 += 32) {
        float amax = 0;
        for (int64_t i = b0; i < b0 + 32; ++i) amax = std::max(amax, std::fabs(ra[static_cast<size_t>(i)]));
        const float half_step = amax / 127.0f / 2.0f * 1.01f;  // d = absmax / 127 (f16-rounded)
        for (int64_t i = b0; i < b0 + 32; ++i) {
          const float va = ra[static_cast<size_t>(i)], vb = rb[static_cast<size_t>(i)];
          ASSERT_LE(std::fabs(va - vb), half_step + std::fabs(va) * 0x1p-10f) << "row " << r << " col " << i;
          nonzero += vb != 0.0f;
        }
      }
    }
    EXPECT_GT(nonzero, 0);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tern::test
