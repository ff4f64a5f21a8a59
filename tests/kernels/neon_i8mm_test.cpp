// The neon-i8mm kernel (kernels/arm/neon_i8mm.cpp) beyond what the KernelMatmul / T1Matmul
// suites check for every kernel: chosen exactly when the CPU has i8mm (qemu -cpu max: yes,
// -cpu cortex-a53: no), its counter counts its calls, and its 8-row x 8-token tiles at every
// edge (row and token counts around the tile sizes, odd row offsets, T2 and T1) against
// the scalar kernel. Named Kernel* so the cortex-a53 run of scripts/test.sh includes it.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "kernels/impl_counter.h"
#include "kernels/ternary.h"
#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"
#include "tern/error.h"
#include "test_util.h"

namespace tern::kernels {
namespace {

namespace tk = testing;

constexpr int32_t kUnwritten = -0x5a5a5a5b;  // rows outside the range keep it

bool cpu_has_i8mm() { return cpu_features().dotprod && cpu_features().i8mm; }

// n tokens of q (rows of t2_padded_k(k)) as `kernel` prepares them.
PreparedActs prepared(const Kernel& kernel, const std::vector<int8_t>& q, int64_t n, int64_t k) {
  PreparedActs acts{n, t2_padded_k(k), q.data(), {}, {}};
  kernel.prepare(acts);
  return acts;
}

// `kernel` on rows [r0, rows) of t packed as `format`; rows before r0 keep the sentinel.
std::vector<int32_t> run(const Kernel& kernel, const std::vector<int8_t>& t, int64_t rows, int64_t k,
                         TernaryFormat format, const std::vector<int8_t>& q, int64_t n, int64_t r0) {
  const auto packed = format == TernaryFormat::T1 ? pack_t1(t.data(), rows, k) : pack_t2(t.data(), rows, k);
  const PreparedActs acts = prepared(kernel, q, n, k);
  std::vector<int32_t> y(static_cast<size_t>(n * rows), kUnwritten);
  matmul_rows(kernel, TernaryMatrix{packed.data(), rows, k, format}, acts, y.data(), rows, r0, rows);
  return y;
}

TEST(KernelI8mm, ChosenExactlyWhenTheCpuHasI8mm) {
  const Kernel* k = find_kernel("neon-i8mm");
#if defined(__aarch64__)
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->supported(), cpu_has_i8mm()) << cpu_features().summary();
  EXPECT_EQ(cpu_features().summary().find(" i8mm") != std::string::npos, cpu_features().i8mm);
  const Backend& best = best_backend();
  if (cpu_has_i8mm()) {
    EXPECT_STREQ(best.ternary->name, "neon-i8mm");
    EXPECT_EQ(best.why_of(Entry::Ternary).rfind("neon-i8mm: NEON dotprod + i8mm present", 0), 0u)
        << best.why_of(Entry::Ternary);
    EXPECT_EQ(select_backend("neon-dotprod", "--kernel", "x").ternary->name, std::string("neon-dotprod"));
  } else {
    EXPECT_STRNE(best.ternary->name, "neon-i8mm");
    EXPECT_NE(best.why_of(Entry::Ternary).find("neon-i8mm needs NEON dotprod + i8mm"), std::string::npos)
        << best.why_of(Entry::Ternary);
    try {
      select_backend("neon-i8mm", "--kernel", "x");
      ADD_FAILURE() << "forcing neon-i8mm without i8mm did not throw";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'neon-i8mm' needs NEON dotprod + i8mm"), std::string::npos) << e.what();
    }
  }
#else
  EXPECT_EQ(k, nullptr);  // Arm code only in Arm builds
  EXPECT_FALSE(cpu_has_i8mm());
#endif
}

class KernelI8mmTiles : public ::testing::Test {
 protected:
  void SetUp() override {
    kernel_ = find_kernel("neon-i8mm");
    if (kernel_ == nullptr || !kernel_->supported()) {
      GTEST_SKIP() << "neon-i8mm does not run here (" << cpu_features().summary() << ")";
    }
  }
  const Kernel* kernel_ = nullptr;
  const Kernel& scalar_ = *find_kernel("scalar");
};

TEST_F(KernelI8mmTiles, CounterCountsTheCallsAndNoScalarRuns) {
  std::mt19937 rng(8);
  const int64_t rows = 21, k = 300;
  const auto t = tk::random_ternary(rows, k, rng);
  const auto packed = pack_t2(t.data(), rows, k);
  ThreadPool pool(3);
  for (int64_t n : {1, 2, 9}) {
    const auto q = tk::random_acts(n, k, t2_padded_k(k), rng);
    const PreparedActs acts = prepared(*kernel_, q, n, k);
    std::vector<int32_t> y(static_cast<size_t>(n * rows), kUnwritten);
    reset_impl_counters();
    matmul_threaded(*kernel_, TernaryMatrix{packed.data(), rows, k}, acts, y.data(), rows, &pool);
    EXPECT_EQ(counters::ternary_neon_i8mm.calls.load(), 3u) << "one call per thread's row range, tokens=" << n;
    EXPECT_EQ(counters::ternary_scalar.calls.load(), 0u);
    EXPECT_EQ(y, tk::naive_matmul(t, rows, k, q, n, t2_padded_k(k))) << "tokens=" << n;
  }
}

// Rows 1..19 (tails of the 8-row block and of the row pairs), tokens 1..19 (tails of the
// 8-token tile, odd counts leave a zero second token), row ranges starting at 0, 1 and 3,
// k with partial T2 and T1 groups: kp < Kt (40, 200) and kp > Kt (150: kp 256, Kt 160;
// 385: kp 512, Kt 480, where the activations' padding meets no T1 bytes).
TEST_F(KernelI8mmTiles, EveryEdgeOfTheTilesEqualsScalar) {
  std::mt19937 rng(19);
  int checked = 0;
  for (TernaryFormat f : {TernaryFormat::T2, TernaryFormat::T1}) {
    for (int64_t k : {int64_t{40}, int64_t{150}, int64_t{200}, int64_t{385}}) {
      for (int64_t rows = 1; rows <= 19; rows += (rows < 10 ? 1 : 3)) {
        const auto t = tk::random_ternary(rows, k, rng);
        for (int64_t n = 1; n <= 19; n += (n < 10 ? 1 : 4)) {
          const auto q = tk::random_acts(n, k, t2_padded_k(k), rng);
          for (int64_t r0 : {int64_t{0}, int64_t{1}, int64_t{3}}) {
            if (r0 >= rows) continue;
            ASSERT_EQ(run(*kernel_, t, rows, k, f, q, n, r0), run(scalar_, t, rows, k, f, q, n, r0))
                << ternary_format_name(f) << " k=" << k << " rows=" << rows << " tokens=" << n << " r0=" << r0;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

// Zero rows next to all +1 and all -1 rows and a mixed one, against activations at the
// int8 extremes: what the quantizer makes of a row with a large spike (+-127 and 0s), a
// hand-made -128 row (below what the quantizer produces), and alternating signs.
TEST_F(KernelI8mmTiles, ZeroRowsAndExtremeActivations) {
  const int64_t k = 4096 + 160, kp = t2_padded_k(k), rows = 11;
  std::vector<int8_t> t(static_cast<size_t>(rows * k), 0);
  for (int64_t i = 0; i < k; ++i) {
    t[static_cast<size_t>(1 * k + i)] = 1;
    t[static_cast<size_t>(2 * k + i)] = -1;
    t[static_cast<size_t>(4 * k + i)] = static_cast<int8_t>(i % 2 ? 1 : -1);
    t[static_cast<size_t>(7 * k + i)] = static_cast<int8_t>(i % 3 - 1);
    t[static_cast<size_t>(9 * k + i)] = 1;
  }  // rows 0, 3, 5, 6, 8, 10: all zero
  for (int64_t n : {int64_t{2}, int64_t{5}, int64_t{8}, int64_t{9}, int64_t{16}}) {
    std::vector<int8_t> q(static_cast<size_t>(n * kp), 0);
    std::vector<float> x(static_cast<size_t>(k));
    for (int64_t tok = 0; tok < n; ++tok) {
      int8_t* qt = q.data() + tok * kp;
      switch (tok % 4) {
        case 0:  // +-big spikes: the quantizer's +-127
          for (int64_t i = 0; i < k; ++i) x[static_cast<size_t>(i)] = i % 2 ? 1000.0f : -1000.0f;
          quantize_row_i8_scalar(x.data(), k, kp, qt);
          ASSERT_EQ(qt[0], -127);
          ASSERT_EQ(qt[1], 127);
          break;
        case 1:
          std::fill_n(qt, k, int8_t{-128});
          break;
        case 2:
          for (int64_t i = 0; i < k; ++i) qt[i] = i % 2 ? int8_t{127} : int8_t{-128};
          break;
        default:
          std::fill_n(qt, k, int8_t{127});
      }
    }
    const auto want = tk::naive_matmul(t, rows, k, q, n, kp);
    // The reference itself at the extremes: row 1 (all +1) sums the token.
    ASSERT_EQ(want[static_cast<size_t>(1 * rows + 1)], -128 * k);
    if (n > 3) {
      ASSERT_EQ(want[static_cast<size_t>(3 * rows + 1)], 127 * k);
    }
    for (TernaryFormat f : {TernaryFormat::T2, TernaryFormat::T1}) {
      ASSERT_EQ(run(*kernel_, t, rows, k, f, q, n, 0), want) << ternary_format_name(f) << " tokens=" << n;
    }
  }
}

}  // namespace
}  // namespace tern::kernels
