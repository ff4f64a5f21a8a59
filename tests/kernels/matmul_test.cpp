// Every ternary kernel compiled in, against the scalar reference (which is itself checked
// against the naive dot product of the unpacked matrix).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "kernels/ternary.h"
#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"
#include "tern/error.h"
#include "test_util.h"

namespace tern::kernels {
namespace {

using testing::naive_matmul;
using testing::random_acts;
using testing::random_ternary;

constexpr int32_t kSentinel = 0x7eadbeef;

// Runs `kernel` on rows [r0, r1) of the packed matrix for all tokens; other rows keep the sentinel.
std::vector<int32_t> run(const Kernel& kernel, const std::vector<uint8_t>& packed, int64_t rows, int64_t k,
                         const std::vector<int8_t>& q, int64_t n_tokens, int64_t r0, int64_t r1) {
  PreparedActs acts;
  acts.n_tokens = n_tokens;
  acts.kp = t2_padded_k(k);
  acts.q = q.data();
  kernel.prepare(acts);
  std::vector<int32_t> y(static_cast<size_t>(n_tokens * rows), kSentinel);
  const TernaryMatrix w{packed.data(), rows, k};
  kernel.matmul(w, acts, y.data(), rows, r0, r1);
  return y;
}

class KernelMatmul : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    kernel_ = find_kernel(GetParam());
    ASSERT_NE(kernel_, nullptr);
    if (!kernel_->supported()) {
      GTEST_SKIP() << GetParam() << " is not supported by this CPU (" << cpu_features().summary() << ")";
    }
  }
  const Kernel* kernel_ = nullptr;
};

TEST_P(KernelMatmul, RandomShapesMatchReference) {
  std::mt19937 rng(1234);
  const int64_t row_counts[] = {1, 3, 4, 5, 15, 16, 17, 33};
  const int64_t ks[] = {1, 31, 127, 128, 129, 256, 300, 1000, 2560};
  const int64_t tokens[] = {1, 2, 3, 5, 8, 33};
  int checked = 0;
  for (int64_t rows : row_counts) {
    for (int64_t k : ks) {
      const int64_t n_tokens = tokens[(rows + k) % 6];
      const auto t = random_ternary(rows, k, rng);
      const auto packed = pack_t2(t.data(), rows, k);
      const auto q = random_acts(n_tokens, k, t2_padded_k(k), rng);
      const auto want = naive_matmul(t, rows, k, q, n_tokens, t2_padded_k(k));
      const auto got = run(*kernel_, packed, rows, k, q, n_tokens, 0, rows);
      ASSERT_EQ(got, want) << kernel_->name << " rows=" << rows << " k=" << k << " tokens=" << n_tokens;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 8 * 9);
}

TEST_P(KernelMatmul, EveryTokenCountUpTo40) {
  std::mt19937 rng(77);
  const int64_t rows = 21, k = 384;
  const auto t = random_ternary(rows, k, rng);
  const auto packed = pack_t2(t.data(), rows, k);
  for (int64_t n = 1; n <= 40; ++n) {
    const auto q = random_acts(n, k, k, rng);
    ASSERT_EQ(run(*kernel_, packed, rows, k, q, n, 0, rows), naive_matmul(t, rows, k, q, n, k)) << "tokens=" << n;
  }
}

TEST_P(KernelMatmul, RowSubRangesWriteOnlyTheirRows) {
  std::mt19937 rng(99);
  const int64_t rows = 45, k = 520;
  const auto t = random_ternary(rows, k, rng);
  const auto packed = pack_t2(t.data(), rows, k);
  std::uniform_int_distribution<int64_t> pick(0, rows);
  for (int trial = 0; trial < 30; ++trial) {
    int64_t a = pick(rng), b = pick(rng);
    if (a > b) std::swap(a, b);
    const int64_t n = 1 + trial % 4;
    const auto q = random_acts(n, k, t2_padded_k(k), rng);
    const auto full = naive_matmul(t, rows, k, q, n, t2_padded_k(k));
    const auto got = run(*kernel_, packed, rows, k, q, n, a, b);
    for (int64_t tok = 0; tok < n; ++tok)
      for (int64_t r = 0; r < rows; ++r) {
        const size_t i = static_cast<size_t>(tok * rows + r);
        ASSERT_EQ(got[i], (r >= a && r < b) ? full[i] : kSentinel) << "range [" << a << "," << b << ") row " << r;
      }
  }
}

TEST_P(KernelMatmul, ExtremeValues) {
  // Long rows push the int16 accumulators of the SIMD kernels to their widening limits.
  // Token counts: 1 (GEMV), 3 (the VNNI kernels' small-batch path), 9 (their GEMM path).
  const int64_t rows = 19, k = 8192 + 64;
  const int8_t weights[] = {-1, 0, 1};
  const int8_t acts[] = {-128, 127, 0};
  for (int8_t wv : weights) {
    const std::vector<int8_t> t(static_cast<size_t>(rows * k), wv);
    const auto packed = pack_t2(t.data(), rows, k);
    for (int8_t av : acts) {
      for (int64_t n : {1, 3, 9}) {
        std::vector<int8_t> q(static_cast<size_t>(n * t2_padded_k(k)), 0);
        for (int64_t tok = 0; tok < n; ++tok) std::fill_n(q.begin() + tok * t2_padded_k(k), k, av);
        const auto got = run(*kernel_, packed, rows, k, q, n, 0, rows);
        const int32_t expect = static_cast<int32_t>(k) * wv * av;
        for (int32_t v : got) ASSERT_EQ(v, expect) << "w=" << int{wv} << " q=" << int{av} << " tokens=" << n;
      }
    }
  }
}

TEST_P(KernelMatmul, MixedExtremesAlternatingSigns) {
  // Activations alternating -128/127 against weights that make every product maximal.
  const int64_t rows = 8, k = 4096;
  std::vector<int8_t> t(static_cast<size_t>(rows * k));
  std::vector<int8_t> q(static_cast<size_t>(2 * k));
  for (int64_t i = 0; i < k; ++i) {
    q[static_cast<size_t>(i)] = (i % 2) ? int8_t{127} : int8_t{-128};
    q[static_cast<size_t>(k + i)] = (i % 3) ? int8_t{-128} : int8_t{127};
    for (int64_t r = 0; r < rows; ++r) t[static_cast<size_t>(r * k + i)] = static_cast<int8_t>(((i + r) % 3) - 1);
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      if (r < 4) t[static_cast<size_t>(r * k + i)] = (i % 2) ? int8_t{1} : int8_t{-1};
  const auto packed = pack_t2(t.data(), rows, k);
  EXPECT_EQ(run(*kernel_, packed, rows, k, q, 2, 0, rows), naive_matmul(t, rows, k, q, 2, k));
}

TEST_P(KernelMatmul, LongRowsSplitTheTokensIntoTiles) {
  // The VNNI GEMMs keep a tile of tokens whose activations fit their L2 budget; rows this
  // long leave a tile of a few tokens, so 13 tokens cross tile boundaries (a partial last one).
  std::mt19937 rng(2024);
  const int64_t rows = 9, k = 65536 + 100, n = 13;
  const auto t = random_ternary(rows, k, rng);
  const auto packed = pack_t2(t.data(), rows, k);
  const auto q = random_acts(n, k, t2_padded_k(k), rng);
  EXPECT_EQ(run(*kernel_, packed, rows, k, q, n, 0, rows), naive_matmul(t, rows, k, q, n, t2_padded_k(k)));
}

TEST_P(KernelMatmul, ThreadPoolOneToFourThreads) {
  std::mt19937 rng(5);
  const int64_t rows = 203, k = 777;
  const auto t = random_ternary(rows, k, rng);
  const auto packed = pack_t2(t.data(), rows, k);
  const TernaryMatrix w{packed.data(), rows, k};
  for (int threads = 1; threads <= 4; ++threads) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 7}) {
      const auto q = random_acts(n, k, t2_padded_k(k), rng);
      PreparedActs acts;
      acts.n_tokens = n;
      acts.kp = t2_padded_k(k);
      acts.q = q.data();
      kernel_->prepare(acts);
      std::vector<int32_t> y(static_cast<size_t>(n * rows), kSentinel);
      for (int rep = 0; rep < 3; ++rep) matmul_threaded(*kernel_, w, acts, y.data(), rows, &pool);
      ASSERT_EQ(y, naive_matmul(t, rows, k, q, n, t2_padded_k(k))) << "threads=" << threads << " tokens=" << n;
    }
  }
}

std::vector<std::string> kernel_names() {
  std::vector<std::string> names;
  for (const Kernel* k : all_kernels()) names.emplace_back(k->name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Kernel, KernelMatmul, ::testing::ValuesIn(kernel_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string s = info.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

TEST(KernelMatmulThreaded, RejectsMismatchedPadding) {
  const std::vector<int8_t> t(128, 1);
  const auto packed = pack_t2(t.data(), 1, 128);
  std::vector<int8_t> q(256, 0);
  PreparedActs acts;
  acts.n_tokens = 1;
  acts.kp = 256;  // the weight needs 128
  acts.q = q.data();
  int32_t y = 0;
  select_kernel().prepare(acts);
  EXPECT_THROW(matmul_threaded(select_kernel(), TernaryMatrix{packed.data(), 1, 128}, acts, &y, 1, nullptr), Error);
}

TEST(KernelMatmulThreaded, RejectsUnpreparedActivations) {
  const std::vector<int8_t> t(128, 1);
  const auto packed = pack_t2(t.data(), 1, 128);
  std::vector<int8_t> q(128, 3);
  PreparedActs acts;
  acts.n_tokens = 1;
  acts.kp = 128;
  acts.q = q.data();
  int32_t y = 0;
  EXPECT_THROW(matmul_threaded(select_kernel(), TernaryMatrix{packed.data(), 1, 128}, acts, &y, 1, nullptr), Error);
  select_kernel().prepare(acts);
  matmul_threaded(select_kernel(), TernaryMatrix{packed.data(), 1, 128}, acts, &y, 1, nullptr);
  EXPECT_EQ(y, 3 * 128);
}

}  // namespace
}  // namespace tern::kernels
