// The F16/BF16 head GEMM reads x from a 32-byte-aligned copy when x is not aligned
// (kernels/x86/float_ops_avx2.cpp, aligned_x): where x sits in memory must not change a
// single bit of the result, for any offset, token count, row range or row length.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/backend.h"
#include "kernels/float_ops.h"
#include "kernels/float_ops_impls.h"

namespace tern::kernels {
namespace {

using RowsFn = void (*)(const uint16_t*, int64_t, const float*, int64_t, float*, int64_t, int64_t, int64_t);

void check_offsets(RowsFn fn, const char* name) {
  std::mt19937 rng(7);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (int64_t k : {8, 40, 100, 2560}) {
    const int64_t rows = 23;
    std::vector<float> wf(static_cast<size_t>(rows * k));
    for (auto& v : wf) v = 0.05f * d(rng);
    std::vector<uint16_t> w(wf.size());
    f32_to_f16_row(wf.data(), w.data(), static_cast<int64_t>(w.size()));
    for (int64_t n : {1, 2, 3}) {
      std::vector<float> x(static_cast<size_t>(n * k));
      for (auto& v : x) v = d(rng);
      // A buffer with room to place x at every float offset within a 64-byte line.
      std::vector<float> room(x.size() + 32);
      const uintptr_t base = reinterpret_cast<uintptr_t>(room.data());
      float* line = room.data() + (64 - base % 64) % 64 / sizeof(float);
      std::vector<float> want;
      for (int off = 0; off < 16; ++off) {
        float* xo = line + off;
        std::memcpy(xo, x.data(), x.size() * sizeof(float));
        std::vector<float> y(static_cast<size_t>(n * rows), -1.0f);
        fn(w.data(), k, xo, n, y.data(), rows, 0, 9);  // two row ranges, as two threads would
        fn(w.data(), k, xo, n, y.data(), rows, 9, rows);
        if (off == 0) {
          want = y;
          continue;
        }
        ASSERT_EQ(std::memcmp(y.data(), want.data(), y.size() * sizeof(float)), 0)
            << name << " k=" << k << " n=" << n << " x at " << off * 4 << " bytes past a 64-byte line";
      }
    }
  }
}

// Every head implementation this CPU runs (the best one is the one with the aligned-x copy).
TEST(HeadXAlignment, F16ResultDoesNotDependOnWhereXSits) {
  check_offsets(best_backend().head->f16, "f16 best");
  check_offsets(gemm_f16_f32_rows_generic, "f16 xsimd");
  check_offsets(gemm_f16_f32_rows_scalar, "f16 scalar");
}
TEST(HeadXAlignment, BF16ResultDoesNotDependOnWhereXSits) {
  check_offsets(best_backend().head->bf16, "bf16 best");
  check_offsets(gemm_bf16_f32_rows_generic, "bf16 xsimd");
  check_offsets(gemm_bf16_f32_rows_scalar, "bf16 scalar");
}

}  // namespace
}  // namespace tern::kernels
