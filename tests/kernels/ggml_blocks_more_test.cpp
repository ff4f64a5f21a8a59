// Q4_K and IQ4_NL block decoding (kernels/ggml_blocks.h), against blocks built here from the
// layouts in llama.cpp's ggml-common.h: every expected value is written out from the format
// (sub-block scale/min packing, nibble order, the IQ4_NL table), not from the decoder. The
// decoders are checked bit for bit against llama.cpp's and ik_llama.cpp's own dequantizers on
// the peer files in tests/model/dense_peer_types_test.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/float_ops.h"
#include "kernels/ggml_blocks.h"

namespace tern::kernels {
namespace {

void put_f16(uint8_t* p, float v) {
  const uint16_t h = f32_to_f16(v);
  p[0] = static_cast<uint8_t>(h & 0xFF);
  p[1] = static_cast<uint8_t>(h >> 8);
}

// One Q4_K block from 8 sub-block scales/mins (6 bits each) and 256 codes (4 bits each).
// scales[12]: sub-blocks 0..3 keep scale and min in the low 6 bits of bytes j and j+4;
// sub-blocks 4..7 put the low 4 bits of scale / min in the low / high nibble of byte j+4
// and their top 2 bits in the top bits of byte j-4 (scale) and byte j (min).
// qs[128]: chunk c (elements 64c..64c+63) uses bytes 32c..32c+31; element 64c+l is the
// low nibble of byte 32c+l, element 64c+32+l its high nibble.
std::vector<uint8_t> make_q4_k(float d, float dmin, const int sc[8], const int m[8], const int q[256]) {
  std::vector<uint8_t> blk(kQ4_KBlockBytes, 0);
  put_f16(blk.data(), d);
  put_f16(blk.data() + 2, dmin);
  uint8_t* s = blk.data() + 4;
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>(sc[j] & 63);
    s[j + 4] = static_cast<uint8_t>(m[j] & 63);
  }
  for (int j = 4; j < 8; ++j) {
    s[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
    s[j - 4] = static_cast<uint8_t>(s[j - 4] | ((sc[j] >> 4) << 6));
    s[j] = static_cast<uint8_t>(s[j] | ((m[j] >> 4) << 6));
  }
  uint8_t* qs = blk.data() + 16;
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l)
      qs[32 * c + l] = static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
  return blk;
}

TEST(Q4K, HandBuiltBlockDecodesPerSubBlockScaleAndMin) {
  // Scales and mins that use all 6 bits (so the split high bits of sub-blocks 4..7 matter).
  const int sc[8] = {1, 63, 17, 32, 5, 48, 63, 33};
  const int m[8] = {0, 2, 63, 40, 61, 16, 7, 35};
  int q[256];
  for (int i = 0; i < 256; ++i) q[i] = (i * 7 + i / 32) % 16;
  const float d = 0.0078125f, dmin = 0.001953125f;  // exact in f16
  const std::vector<uint8_t> blk = make_q4_k(d, dmin, sc, m, q);
  float out[256];
  dequantize_q4_k(blk.data(), 256, out);
  for (int i = 0; i < 256; ++i) {
    const int j = i / 32;
    const float expected = (d * static_cast<float>(sc[j])) * static_cast<float>(q[i]) - dmin * static_cast<float>(m[j]);
    ASSERT_EQ(out[i], expected) << "element " << i << " (sub-block " << j << ")";
  }
}

TEST(Q4K, SecondBlockAndRandomBlocks) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> six(0, 63), four(0, 15);
  std::uniform_real_distribution<float> scale(1e-4f, 0.05f);
  constexpr int kBlocks = 5;
  std::vector<uint8_t> data;
  std::vector<float> expected;
  for (int b = 0; b < kBlocks; ++b) {
    int sc[8], m[8], q[256];
    for (int j = 0; j < 8; ++j) sc[j] = six(rng), m[j] = six(rng);
    for (int& v : q) v = four(rng);
    // Store d / dmin as f16, then use the stored value for the expectation.
    const float d = f16_to_f32(f32_to_f16(scale(rng))), dmin = f16_to_f32(f32_to_f16(scale(rng)));
    const std::vector<uint8_t> blk = make_q4_k(d, dmin, sc, m, q);
    data.insert(data.end(), blk.begin(), blk.end());
    for (int i = 0; i < 256; ++i)
      expected.push_back((d * static_cast<float>(sc[i / 32])) * static_cast<float>(q[i]) - dmin * static_cast<float>(m[i / 32]));
  }
  std::vector<float> out(256 * kBlocks);
  dequantize_q4_k(data.data(), 256 * kBlocks, out.data());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], expected[i]) << i;
}

// IQ4_NL: f16 d, then 16 bytes; element i < 16 is the low nibble of byte i, element 16 + i
// the high nibble; the nibble indexes ggml's kvalues_iq4nl.
TEST(IQ4NL, HandBuiltBlockUsesTheNonLinearTable) {
  constexpr int8_t kTable[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  for (int i = 0; i < 16; ++i) EXPECT_EQ(kIq4nlValues[i], kTable[i]);
  std::vector<uint8_t> data(2 * kIQ4_NLBlockBytes);
  put_f16(data.data(), 0.5f);
  put_f16(data.data() + kIQ4_NLBlockBytes, -0.0009765625f);  // negative scale: signs flip
  for (int i = 0; i < 16; ++i) {
    data[2 + i] = static_cast<uint8_t>(i | ((15 - i) << 4));
    data[kIQ4_NLBlockBytes + 2 + i] = static_cast<uint8_t>(((i * 5) % 16) | (((i * 3) % 16) << 4));
  }
  float out[64];
  dequantize_iq4_nl(data.data(), 64, out);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(out[i], 0.5f * static_cast<float>(kTable[i])) << i;
    EXPECT_EQ(out[16 + i], 0.5f * static_cast<float>(kTable[15 - i])) << i;
    EXPECT_EQ(out[32 + i], -0.0009765625f * static_cast<float>(kTable[(i * 5) % 16])) << i;
    EXPECT_EQ(out[48 + i], -0.0009765625f * static_cast<float>(kTable[(i * 3) % 16])) << i;
  }
}

}  // namespace
}  // namespace tern::kernels
