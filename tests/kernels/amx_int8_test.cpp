// The amx-int8 kernel (kernels/x86/amx_int8.cpp) beyond what the KernelMatmul / T1Matmul
// suites check for every kernel: chosen exactly when the CPU and the OS let this process use
// AMX-INT8, its counter counts the tile GEMM's calls (16 tokens and up; fewer run
// avx512-vnni's paths), and its 32-row x 32-token passes at every edge (row and token counts
// around the tile sizes, odd row offsets, token tiles split by a long k, T2 and T1) against
// the scalar kernel, with 1-4 threads and at the int8 extremes. Skipped, saying why, on a
// CPU without AMX (every AMD part, Intel client cores).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "kernels/impl_counter.h"
#include "kernels/ternary.h"
#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"
#include "test_util.h"

namespace tern::kernels {
namespace {

namespace tk = testing;

constexpr int32_t kUnwritten = -0x5a5a5a5b;  // rows outside the range keep it

PreparedActs prepared(const Kernel& kernel, const std::vector<int8_t>& q, int64_t n, int64_t k) {
  PreparedActs acts{n, t2_padded_k(k), q.data(), {}, {}};
  kernel.prepare(acts);
  return acts;
}

// `kernel` on rows [r0, r1) of t packed as `format`, split over `pool` when given.
std::vector<int32_t> run(const Kernel& kernel, const std::vector<int8_t>& t, int64_t rows, int64_t k,
                         TernaryFormat format, const std::vector<int8_t>& q, int64_t n, int64_t r0, int64_t r1) {
  const auto packed = format == TernaryFormat::T1 ? pack_t1(t.data(), rows, k) : pack_t2(t.data(), rows, k);
  const PreparedActs acts = prepared(kernel, q, n, k);
  std::vector<int32_t> y(static_cast<size_t>(n * rows), kUnwritten);
  matmul_rows(kernel, TernaryMatrix{packed.data(), rows, k, format}, acts, y.data(), rows, r0, r1);
  return y;
}

TEST(KernelAmx, ChosenExactlyWhenTheCpuHasAmxInt8) {
  const Kernel* k = find_kernel("amx-int8");
#if defined(__x86_64__)
  ASSERT_NE(k, nullptr);
  const bool has = cpu_features().amx_int8 && cpu_features().avx512vnni;
  EXPECT_EQ(k->supported(), has) << cpu_features().summary();
  EXPECT_EQ(cpu_features().summary().find(" amx-int8") != std::string::npos, cpu_features().amx_int8);
  if (has) {
    EXPECT_STREQ(best_backend().ternary->name, "amx-int8");
  } else {
    EXPECT_STRNE(best_backend().ternary->name, "amx-int8");
  }
#else
  EXPECT_EQ(k, nullptr);  // x86 code only in x86 builds
#endif
}

class KernelAmxTiles : public ::testing::Test {
 protected:
  void SetUp() override {
    kernel_ = find_kernel("amx-int8");
    if (kernel_ == nullptr || !kernel_->supported()) {
      GTEST_SKIP() << "amx-int8 does not run here (" << cpu_features().summary() << ")";
    }
  }
  const Kernel* kernel_ = nullptr;
  const Kernel& scalar_ = *find_kernel("scalar");
};

TEST_F(KernelAmxTiles, CounterCountsTheTileCallsFrom16Tokens) {
  std::mt19937 rng(8);
  const int64_t rows = 70, k = 300;
  const auto t = tk::random_ternary(rows, k, rng);
  const auto packed = pack_t2(t.data(), rows, k);
  ThreadPool pool(3);
  for (int64_t n : {1, 15, 16, 40}) {
    const auto q = tk::random_acts(n, k, t2_padded_k(k), rng);
    const PreparedActs acts = prepared(*kernel_, q, n, k);
    std::vector<int32_t> y(static_cast<size_t>(n * rows), kUnwritten);
    reset_impl_counters();
    matmul_threaded(*kernel_, TernaryMatrix{packed.data(), rows, k}, acts, y.data(), rows, &pool);
    EXPECT_EQ(counters::ternary_amx_int8.calls.load(), n >= 16 ? 3u : 0u) << "tokens=" << n;
    EXPECT_EQ(counters::ternary_scalar.calls.load(), 0u);
    EXPECT_EQ(y, tk::naive_matmul(t, rows, k, q, n, t2_padded_k(k))) << "tokens=" << n;
  }
}

// Rows around the 16-row A tile and the 32-row block, tokens around the 16-token B tile and
// the 32-token pass (an odd group count leaves a one-group pass), row ranges starting and
// ending off the block grid, k with partial T2 and T1 groups and kp not a multiple of 128
// over 64 (k = 40: kp 128, two 64-byte chunks).
TEST_F(KernelAmxTiles, EveryEdgeOfTheTilesEqualsScalar) {
  std::mt19937 rng(19);
  int checked = 0;
  for (TernaryFormat f : {TernaryFormat::T2, TernaryFormat::T1}) {
    for (int64_t k : {int64_t{40}, int64_t{150}, int64_t{385}, int64_t{2560}}) {
      for (int64_t rows : {1, 15, 16, 17, 31, 32, 33, 50, 64, 97}) {
        const auto t = tk::random_ternary(rows, k, rng);
        for (int64_t n : {16, 17, 31, 32, 33, 48, 63, 65, 100}) {
          const auto q = tk::random_acts(n, k, t2_padded_k(k), rng);
          for (int64_t r0 : {int64_t{0}, int64_t{1}, int64_t{5}, int64_t{33}}) {
            if (r0 >= rows) continue;
            const int64_t r1 = rows - (rows > r0 + 3 ? 2 : 0);
            ASSERT_EQ(run(*kernel_, t, rows, k, f, q, n, r0, r1), run(scalar_, t, rows, k, f, q, n, r0, r1))
                << ternary_format_name(f) << " k=" << k << " rows=" << rows << " tokens=" << n << " r0=" << r0
                << " r1=" << r1;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 500);
}

// A long k leaves token tiles of 32 tokens (the activations' L2 budget), so 70 tokens run
// as three tiles, the last partial; through the thread pool with 1-4 threads.
TEST_F(KernelAmxTiles, TokenTilesAndThreadsEqualScalar) {
  std::mt19937 rng(23);
  const int64_t rows = 45, k = 65536 + 100, kp = t2_padded_k(k);
  const auto t = tk::random_ternary(rows, k, rng);
  const auto packed = pack_t2(t.data(), rows, k);
  const int64_t n = 70;
  const auto q = tk::random_acts(n, k, kp, rng);
  const auto want = tk::naive_matmul(t, rows, k, q, n, kp);
  for (int threads = 1; threads <= 4; ++threads) {
    ThreadPool pool(threads);
    const PreparedActs acts = prepared(*kernel_, q, n, k);
    std::vector<int32_t> y(static_cast<size_t>(n * rows), kUnwritten);
    matmul_threaded(*kernel_, TernaryMatrix{packed.data(), rows, k}, acts, y.data(), rows, &pool);
    ASSERT_EQ(y, want) << "threads=" << threads;
  }
}

// All +1, all -1, zero and mixed rows against activations at the int8 extremes (-128 is
// below what the quantizer makes, and checks the unsigned x signed product's sign).
TEST_F(KernelAmxTiles, ZeroRowsAndExtremeActivations) {
  const int64_t k = 4096 + 160, kp = t2_padded_k(k), rows = 35;
  std::vector<int8_t> t(static_cast<size_t>(rows * k), 0);
  for (int64_t i = 0; i < k; ++i) {
    t[static_cast<size_t>(1 * k + i)] = 1;
    t[static_cast<size_t>(2 * k + i)] = -1;
    t[static_cast<size_t>(17 * k + i)] = static_cast<int8_t>(i % 2 ? 1 : -1);
    t[static_cast<size_t>(33 * k + i)] = static_cast<int8_t>(i % 3 - 1);
    t[static_cast<size_t>(34 * k + i)] = 1;
  }
  for (int64_t n : {int64_t{16}, int64_t{33}}) {
    std::vector<int8_t> q(static_cast<size_t>(n * kp), 0);
    for (int64_t tok = 0; tok < n; ++tok) {
      int8_t* qt = q.data() + tok * kp;
      for (int64_t i = 0; i < k; ++i) {
        qt[i] = tok % 3 == 0 ? int8_t{-128} : tok % 3 == 1 ? int8_t{127} : (i % 2 ? int8_t{127} : int8_t{-128});
      }
    }
    const auto want = tk::naive_matmul(t, rows, k, q, n, kp);
    ASSERT_EQ(want[static_cast<size_t>(0 * rows + 1)], -128 * k);  // row 1 sums token 0
    for (TernaryFormat f : {TernaryFormat::T2, TernaryFormat::T1}) {
      ASSERT_EQ(run(*kernel_, t, rows, k, f, q, n, 0, rows), want) << ternary_format_name(f) << " tokens=" << n;
    }
  }
}

}  // namespace
}  // namespace tern::kernels
