// TERN_T2 packing: the byte layout promised in kernels/ternary.h, round trips, padding.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/ternary.h"
#include "tern/error.h"
#include "test_util.h"

namespace tern::kernels {
namespace {

TEST(KernelPack, ByteLayoutMatchesHeader) {
  // Row of 128: element m -> byte m bits 1:0, m+32 -> bits 3:2, m+64 -> 5:4, m+96 -> 7:6.
  std::vector<int8_t> t(128, 0);
  t[0] = 1;    // byte 0, bits 1:0 = code 2
  t[32] = -1;  // byte 0, bits 3:2 = code 0
  t[96 + 5] = 1;  // byte 5, bits 7:6 = code 2
  const auto p = pack_t2(t.data(), 1, 128);
  ASSERT_EQ(p.size(), 32u);
  EXPECT_EQ(p[0], 0b01'01'00'10);
  EXPECT_EQ(p[5], 0b10'01'01'01);
  EXPECT_EQ(p[1], 0x55);
}

TEST(KernelPack, PaddingIsZeroWeight) {
  const std::vector<int8_t> t(130, -1);
  const auto p = pack_t2(t.data(), 1, 130);
  ASSERT_EQ(static_cast<int64_t>(p.size()), t2_row_bytes(130));
  EXPECT_EQ(t2_row_bytes(130), 64);
  const TernaryMatrix w{p.data(), 1, 256};  // read the padding as if it were data
  for (int64_t c = 130; c < 256; ++c) EXPECT_EQ(t2_get(w, 0, c), 0) << c;
  EXPECT_EQ(t2_get(w, 0, 129), -1);
}

TEST(KernelPack, RoundTripRandom) {
  std::mt19937 rng(42);
  for (int64_t k : {1, 64, 128, 200, 385}) {
    const int64_t rows = 7;
    const auto t = testing::random_ternary(rows, k, rng);
    const auto p = pack_t2(t.data(), rows, k);
    ASSERT_EQ(static_cast<int64_t>(p.size()), rows * t2_row_bytes(k));
    const TernaryMatrix w{p.data(), rows, k};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < k; ++c) ASSERT_EQ(t2_get(w, r, c), t[static_cast<size_t>(r * k + c)]);
  }
}

TEST(KernelPack, RejectsNonTernary) {
  const std::vector<int8_t> t = {0, 1, 2};
  EXPECT_THROW(pack_t2(t.data(), 1, 3), Error);
}

}  // namespace
}  // namespace tern::kernels
