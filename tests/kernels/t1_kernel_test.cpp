// TERN_T1 (1.6-bit) packing and kernels: the byte code against every 5-digit value, pack /
// unpack round trips, and every T1 matmul (scalar spec, each kernel's matmul_t1, the
// dispatch fallback) against the T2 scalar reference on the same trits, which must match
// exactly (both are the integer sum of q * t).
#include <gtest/gtest.h>

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

TEST(T1Byte, EveryFiveDigitValueRoundTrips) {
  for (int v = 0; v < 243; ++v) {
    uint8_t c[5];
    int rest = v;
    for (int i = 4; i >= 0; --i) {
      c[i] = static_cast<uint8_t>(rest % 3);
      rest /= 3;
    }
    const uint8_t byte = t1_encode_byte(c);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(t1_decode_digit(byte, i), c[i]) << "v=" << v << " digit " << i;
  }
}

TEST(T1Pack, RoundTripAndSizes) {
  std::mt19937 rng(7);
  for (int64_t k : {1, 31, 32, 159, 160, 161, 300, 640, 2560, 6912}) {
    for (int64_t rows : {1, 3, 5}) {
      const auto t = random_ternary(rows, k, rng);
      const auto packed = pack_t1(t.data(), rows, k);
      ASSERT_EQ(static_cast<int64_t>(packed.size()), rows * t1_row_bytes(k));
      EXPECT_EQ(t1_row_bytes(k) * 5, t1_padded_k(k));
      const TernaryMatrix w{packed.data(), rows, k, TernaryFormat::T1};
      EXPECT_EQ(unpack_t1(w), t) << "k=" << k << " rows=" << rows;
      // Padding decodes as weight 0.
      for (int64_t c = k; c < t1_padded_k(k); ++c) ASSERT_EQ(t1_get(TernaryMatrix{packed.data(), rows, c + 1, TernaryFormat::T1}, 0, c), 0);
    }
  }
}

TEST(T1Pack, ExactBytesOfOneGroup) {
  // Element m + 32 i is digit i (most significant first) of byte m.
  std::vector<int8_t> t(160, 0);
  t[0] = 1;     // byte 0, digit 0: code 2 -> v = 2*81 + 1*27 + 9 + 3 + 1 = 202
  t[32 + 1] = -1;  // byte 1, digit 1: code 0 -> v = 81 + 0 + 9 + 3 + 1 = 94
  const auto p = pack_t1(t.data(), 1, 160);
  ASSERT_EQ(p.size(), 32u);
  EXPECT_EQ(p[0], (202 * 256 + 242) / 243);
  EXPECT_EQ(p[1], (94 * 256 + 242) / 243);
  EXPECT_EQ(p[2], (121 * 256 + 242) / 243);  // all zero weights: v = 121
}

TEST(T1Pack, RejectsNonTernary) {
  const int8_t bad[3] = {0, 2, 0};
  EXPECT_THROW(pack_t1(bad, 1, 3), Error);
}

// y from one T1 matmul function on rows [r0, r1); other rows keep the sentinel.
using MatmulFn = void (*)(const TernaryMatrix&, const PreparedActs&, int32_t*, int64_t, int64_t, int64_t);

std::vector<int32_t> run(MatmulFn fn, const Kernel& prep, const TernaryMatrix& w, const std::vector<int8_t>& q,
                         int64_t n_tokens, int64_t r0, int64_t r1) {
  PreparedActs acts;
  acts.n_tokens = n_tokens;
  acts.kp = t2_padded_k(w.k);
  acts.q = q.data();
  prep.prepare(acts);
  std::vector<int32_t> y(static_cast<size_t>(n_tokens * w.rows), kSentinel);
  fn(w, acts, y.data(), w.rows, r0, r1);
  return y;
}

// The T2 scalar reference on the same trits.
std::vector<int32_t> t2_reference(const std::vector<int8_t>& t, int64_t rows, int64_t k, const std::vector<int8_t>& q,
                                  int64_t n_tokens, int64_t r0, int64_t r1) {
  const auto p2 = pack_t2(t.data(), rows, k);
  const Kernel& scalar = *find_kernel("scalar");
  return run(scalar.matmul, scalar, TernaryMatrix{p2.data(), rows, k}, q, n_tokens, r0, r1);
}

// Every kernel compiled in, as the provider of T1 code (its own, or the fallback).
class T1Matmul : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    kernel_ = find_kernel(GetParam());
    ASSERT_NE(kernel_, nullptr);
    if (!kernel_->supported()) GTEST_SKIP() << GetParam() << " is not supported here (" << cpu_features().summary() << ")";
  }
  // The T1 function that runs for this kernel: its own, else what dispatch falls back to.
  MatmulFn t1_fn() const {
    if (kernel_->matmul_t1 != nullptr) return kernel_->matmul_t1;
    return find_kernel(kernel_name_for(*kernel_, TernaryFormat::T1))->matmul_t1;
  }
  const Kernel* kernel_ = nullptr;
};

TEST_P(T1Matmul, RandomShapesEqualT2Scalar) {
  std::mt19937 rng(4321);
  const int64_t row_counts[] = {1, 3, 4, 5, 9, 17};
  // Odd sizes: k where kp = t2_padded_k(k) > t1_padded_k(k) (150, 300, 1000...), < (161,
  // 2560+1), equal (640), partial last group (32..128 of 160), and the 2B4T shapes.
  const int64_t ks[] = {1, 31, 32, 100, 128, 150, 160, 161, 300, 640, 1000, 2561, 6912};
  int checked = 0;
  for (int64_t rows : row_counts) {
    for (int64_t k : ks) {
      for (int64_t n_tokens : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{1 + (rows * k) % 40}}) {
        const auto t = random_ternary(rows, k, rng);
        const auto q = random_acts(n_tokens, k, t2_padded_k(k), rng);
        const auto p1 = pack_t1(t.data(), rows, k);
        const TernaryMatrix w{p1.data(), rows, k, TernaryFormat::T1};
        const auto want = t2_reference(t, rows, k, q, n_tokens, 0, rows);
        ASSERT_EQ(want, naive_matmul(t, rows, k, q, n_tokens, t2_padded_k(k)));
        ASSERT_EQ(run(t1_fn(), *kernel_, w, q, n_tokens, 0, rows), want)
            << GetParam() << " rows=" << rows << " k=" << k << " tokens=" << n_tokens;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 6 * 13 * 4);
}

TEST_P(T1Matmul, ExtremesAllWeightsTimesAllActivations) {
  // Every weight -1, 0 or +1 against activations all -128, 127 or 0: the int16 partial sums
  // at their limits (k = 6912: 43 full groups, the widening every 6 groups is what holds).
  for (int8_t wv : {int8_t{-1}, int8_t{0}, int8_t{1}}) {
    for (int8_t av : {int8_t{-128}, int8_t{127}, int8_t{0}}) {
      for (int64_t k : {int64_t{6912}, int64_t{2560}, int64_t{150}}) {
        for (int64_t n_tokens : {int64_t{1}, int64_t{5}}) {
          const int64_t rows = 6;
          const std::vector<int8_t> t(static_cast<size_t>(rows * k), wv);
          std::vector<int8_t> q(static_cast<size_t>(n_tokens * t2_padded_k(k)), 0);
          for (int64_t tok = 0; tok < n_tokens; ++tok)
            for (int64_t i = 0; i < k; ++i) q[static_cast<size_t>(tok * t2_padded_k(k) + i)] = av;
          const auto p1 = pack_t1(t.data(), rows, k);
          const TernaryMatrix w{p1.data(), rows, k, TernaryFormat::T1};
          const auto got = run(t1_fn(), *kernel_, w, q, n_tokens, 0, rows);
          for (int32_t v : got) ASSERT_EQ(v, int32_t{wv} * av * static_cast<int32_t>(k)) << GetParam() << " k=" << k;
        }
      }
    }
  }
}

TEST_P(T1Matmul, RowRangesTouchOnlyTheirRows) {
  std::mt19937 rng(99);
  const int64_t rows = 23, k = 1000;
  const auto t = random_ternary(rows, k, rng);
  const auto p1 = pack_t1(t.data(), rows, k);
  const TernaryMatrix w{p1.data(), rows, k, TernaryFormat::T1};
  for (int64_t n_tokens : {1, 7}) {
    const auto q = random_acts(n_tokens, k, t2_padded_k(k), rng);
    const auto full = t2_reference(t, rows, k, q, n_tokens, 0, rows);
    for (auto [r0, r1] : {std::pair<int64_t, int64_t>{0, 4}, {3, 9}, {5, 6}, {8, 23}, {21, 23}, {10, 10}}) {
      const auto got = run(t1_fn(), *kernel_, w, q, n_tokens, r0, r1);
      for (int64_t tok = 0; tok < n_tokens; ++tok)
        for (int64_t r = 0; r < rows; ++r) {
          const size_t i = static_cast<size_t>(tok * rows + r);
          ASSERT_EQ(got[i], r >= r0 && r < r1 ? full[i] : kSentinel) << "rows [" << r0 << "," << r1 << ") r=" << r;
        }
    }
  }
}

TEST_P(T1Matmul, ThreadedThroughDispatchEqualsT2) {
  std::mt19937 rng(5);
  for (int threads = 1; threads <= 4; ++threads) {
    ThreadPool pool(threads);
    for (int64_t n_tokens : {1, 4, 13}) {  // small enough for qemu (1..40 tokens: RandomShapes)
      const int64_t rows = 37 + threads, k = 977 + 17 * threads;
      const auto t = random_ternary(rows, k, rng);
      const auto q = random_acts(n_tokens, k, t2_padded_k(k), rng);
      const auto p1 = pack_t1(t.data(), rows, k);
      PreparedActs acts;
      acts.n_tokens = n_tokens;
      acts.kp = t2_padded_k(k);
      acts.q = q.data();
      kernel_->prepare(acts);
      std::vector<int32_t> y(static_cast<size_t>(n_tokens * rows), kSentinel);
      matmul_threaded(*kernel_, TernaryMatrix{p1.data(), rows, k, TernaryFormat::T1}, acts, y.data(), rows, &pool);
      ASSERT_EQ(y, t2_reference(t, rows, k, q, n_tokens, 0, rows)) << GetParam() << " threads=" << threads;
    }
  }
}

std::vector<std::string> kernel_names() {
  std::vector<std::string> v;
  for (const Kernel* k : all_kernels()) v.push_back(k->name);
  return v;
}

INSTANTIATE_TEST_SUITE_P(AllKernels, T1Matmul, ::testing::ValuesIn(kernel_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string s = p.param;
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

TEST(T1Dispatch, KernelsWithoutT1CodeNameTheirFallback) {
  for (const Kernel* k : all_kernels()) {
    const std::string t1 = kernel_name_for(*k, TernaryFormat::T1);
    EXPECT_EQ(kernel_name_for(*k, TernaryFormat::T2), std::string(k->name));
    if (k->matmul_t1 != nullptr) {
      EXPECT_EQ(t1, k->name);
    } else {
      ASSERT_NE(find_kernel(t1), nullptr);
      EXPECT_NE(find_kernel(t1)->matmul_t1, nullptr) << k->name << " falls back to " << t1;
    }
  }
  EXPECT_NE(find_kernel("scalar")->matmul_t1, nullptr);  // the spec is always there
}

}  // namespace
}  // namespace tern::kernels
