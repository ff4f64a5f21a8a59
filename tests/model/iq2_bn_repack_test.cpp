// ik_llama.cpp's IQ2_BN repacked to TERN_T2 at load (src/model/ternary_repack.cpp). The test
// encoder below is written from the layout (ik_llama.cpp ggml-common.h block_iq2_bn, ggml.c
// row_meta_size 4, iqk_quantize.cpp quantize_one_row_2bn): each row is an f32 scale d that
// multiplies, then k/64 blocks of 16 bytes; byte j of a block holds the codes t+1 of elements
// j, j+16, j+32, j+48 in bits 1:0, 3:2, 5:4, 7:6.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/ternary.h"
#include "model/half.h"
#include "model/ternary_repack.h"
#include "tern/error.h"

namespace tern::model {
namespace {

using gguf::TensorType;

// rows x k trits (row-major) with per-row scales -> IQ2_BN bytes.
std::vector<uint8_t> encode_iq2bn(const std::vector<int8_t>& trits, const std::vector<float>& d, int64_t k) {
  const int64_t rows = static_cast<int64_t>(d.size());
  const int64_t row_bytes = 4 + k / 4;
  std::vector<uint8_t> out(static_cast<size_t>(rows * row_bytes), 0);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = out.data() + r * row_bytes;
    std::memcpy(row, &d[static_cast<size_t>(r)], 4);
    for (int64_t b = 0; b < k / 64; ++b) {
      for (int j = 0; j < 16; ++j) {
        uint8_t v = 0;
        for (int s = 0; s < 4; ++s) {
          const int code = trits[static_cast<size_t>(r * k + b * 64 + j + 16 * s)] + 1;
          v = static_cast<uint8_t>(v | (code << (2 * s)));
        }
        row[4 + b * 16 + j] = v;
      }
    }
  }
  return out;
}

gguf::TensorInfo info(const std::vector<uint8_t>& bytes, int64_t k, int64_t rows) {
  gguf::TensorInfo t;
  t.name = "blk.0.ffn_up.weight";
  t.type = TensorType::IQ2_BN;
  t.dims = {static_cast<uint64_t>(k), static_cast<uint64_t>(rows)};
  t.nbytes = bytes.size();
  t.data = bytes.data();
  return t;
}

std::vector<int8_t> random_trits(int64_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> u(-1, 1);
  std::vector<int8_t> t(static_cast<size_t>(n));
  for (int8_t& v : t) v = static_cast<int8_t>(u(rng));
  return t;
}

std::vector<uint8_t> repack(const gguf::TensorInfo& t, float* ws) {
  std::vector<uint8_t> dst(static_cast<size_t>(t.dims[1] * kernels::t2_row_bytes(static_cast<int64_t>(t.dims[0]))));
  *ws = repack_to_t2(t, dst.data(), "m.gguf");
  return dst;
}

// Every shape the peers write (64-multiples; 640 = llama158-rope-a's ffn_down), rows across
// the repacker's 64-row chunks, a common scale: codes equal tern's own packer's, and the
// returned weight_scale is the scale's reciprocal (the bf16 checkpoint value when it is one).
TEST(Iq2BnRepack, RoundTripEqualsPackT2) {
  std::mt19937 rng(16);
  const float ws_bf16 = bf16_to_f32(f32_to_bf16(2.59375f));
  const float d = static_cast<float>(1.0 / static_cast<double>(ws_bf16));  // what ik stores: max |w| = 1/ws
  for (int64_t k : {64, 128, 192, 256, 640, 768}) {
    for (int64_t rows : {1, 3, 64, 130}) {
      SCOPED_TRACE("k " + std::to_string(k) + " rows " + std::to_string(rows));
      const std::vector<int8_t> trits = random_trits(k * rows, rng);
      const std::vector<uint8_t> bytes = encode_iq2bn(trits, std::vector<float>(static_cast<size_t>(rows), d), k);
      const gguf::TensorInfo t = info(bytes, k, rows);
      float ws = 0;
      const std::vector<uint8_t> got = repack(t, &ws);
      EXPECT_EQ(got, kernels::pack_t2(trits.data(), rows, k));
      EXPECT_EQ(ws, ws_bf16);
      EXPECT_EQ(ws, weight_scale_from_f32_scale(d));
    }
  }
}

// ik_llama.cpp's own converter writes ±1/0 weights with row scale 1 (the real scale is in a
// separate `.scale` tensor): weight_scale 1.
TEST(Iq2BnRepack, UnitRowScale) {
  std::mt19937 rng(1);
  const std::vector<int8_t> trits = random_trits(256 * 8, rng);
  const std::vector<uint8_t> bytes = encode_iq2bn(trits, std::vector<float>(8, 1.0f), 256);
  float ws = 0;
  EXPECT_EQ(repack(info(bytes, 256, 8), &ws), kernels::pack_t2(trits.data(), 8, 256));
  EXPECT_EQ(ws, 1.0f);
}

// Rows with no non-zero weight are exempt from the one-scale rule: a row whose scale is 0 is
// zero whatever its codes say (ik's quantizer writes code +1 everywhere for an all-zero row,
// with max |w| = 0), and a row of zero codes may carry any scale.
TEST(Iq2BnRepack, ZeroRowsAreExemptAndDecodeToZero) {
  std::mt19937 rng(3);
  const int64_t k = 128, rows = 5;
  std::vector<int8_t> trits = random_trits(k * rows, rng);
  std::vector<float> d(rows, 0.03125f);
  // Row 1: scale 0 with all codes +1 (ik's encoding of a zero row).
  for (int64_t i = 0; i < k; ++i) trits[static_cast<size_t>(1 * k + i)] = 1;
  d[1] = 0.0f;
  // Row 3: all codes 0 with another scale.
  for (int64_t i = 0; i < k; ++i) trits[static_cast<size_t>(3 * k + i)] = 0;
  d[3] = 7.0f;
  const std::vector<uint8_t> bytes = encode_iq2bn(trits, d, k);
  std::vector<int8_t> want = trits;
  for (int64_t i = 0; i < k; ++i) want[static_cast<size_t>(1 * k + i)] = 0;
  float ws = 0;
  EXPECT_EQ(repack(info(bytes, k, rows), &ws), kernels::pack_t2(want.data(), rows, k));
  EXPECT_EQ(ws, 32.0f);
  // An all-zero tensor (every scale 0): weight_scale 1, all codes 0.
  const std::vector<uint8_t> zeros = encode_iq2bn(std::vector<int8_t>(k * 2, 1), std::vector<float>(2, 0.0f), k);
  const std::vector<int8_t> none(k * 2, 0);
  EXPECT_EQ(repack(info(zeros, k, 2), &ws), kernels::pack_t2(none.data(), 2, k));
  EXPECT_EQ(ws, 1.0f);
}

std::string refusal(const std::vector<uint8_t>& bytes, int64_t k, int64_t rows, uint64_t nbytes = 0) {
  gguf::TensorInfo t = info(bytes, k, rows);
  if (nbytes != 0) t.nbytes = nbytes;
  std::vector<uint8_t> dst(static_cast<size_t>(rows * kernels::t2_row_bytes(k)) + 64);
  try {
    repack_to_t2(t, dst.data(), "m.gguf");
  } catch (const tern::Error& e) {
    return e.what();
  }
  return "no error";
}

// Per-row scales that differ cannot be one BitLinear scale: refused naming the file, the
// tensor, the row and both scales, never run with one of them.
TEST(Iq2BnRepack, UnequalRowScalesAreRefused) {
  std::mt19937 rng(5);
  const int64_t k = 192, rows = 4;
  std::vector<int8_t> trits = random_trits(k * rows, rng);
  trits[static_cast<size_t>(2 * k)] = 1;  // row 2 is not all zero
  std::vector<float> d(rows, 0.5f);
  d[2] = std::nextafter(0.5f, 1.0f);  // one ulp apart is still a different scale
  const std::string msg = refusal(encode_iq2bn(trits, d, k), k, rows);
  EXPECT_EQ(msg,
            "m.gguf: tensor 'blk.0.ffn_up.weight': row 2 has scale 0.50000006 but row 0 has 0.5: tern needs one scale per tensor");
}

TEST(Iq2BnRepack, BadDataIsRefused) {
  std::mt19937 rng(9);
  const int64_t k = 128, rows = 3;
  const std::vector<int8_t> trits = random_trits(k * rows, rng);
  const std::vector<float> d(rows, 0.25f);
  // Code 3 (no ternary value) in row 1, element 16 + 5 (byte 5 of block 0, bits 3:2).
  std::vector<uint8_t> bad = encode_iq2bn(trits, d, k);
  bad[static_cast<size_t>(1 * (4 + k / 4) + 4 + 5)] |= 0x0C;
  EXPECT_EQ(refusal(bad, k, rows), "m.gguf: tensor 'blk.0.ffn_up.weight': invalid ternary code 3 in row 1 at element 21");
  // Negative, infinite and NaN scales.
  for (float s : {-0.25f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    std::vector<float> ds = d;
    ds[2] = s;
    const std::string msg = refusal(encode_iq2bn(trits, ds, k), k, rows);
    EXPECT_NE(msg.find("m.gguf: tensor 'blk.0.ffn_up.weight': row 2 has scale "), std::string::npos) << msg;
    EXPECT_NE(msg.find("not a finite non-negative number"), std::string::npos) << msg;
  }
  // Row length not a multiple of 64, and data shorter than rows * (4 + k/4).
  const std::vector<uint8_t> ok = encode_iq2bn(trits, d, k);
  EXPECT_EQ(refusal(ok, 96, 2), "m.gguf: tensor 'blk.0.ffn_up.weight': IQ2_BN row length must be a multiple of 64");
  EXPECT_EQ(refusal(ok, k, rows, ok.size() - 1), "m.gguf: tensor 'blk.0.ffn_up.weight': IQ2_BN data is too short");
  // Not a matrix.
  gguf::TensorInfo t = info(ok, k, rows);
  t.dims = {k * rows};
  std::vector<uint8_t> dst(ok.size() * 2);
  EXPECT_THROW(repack_to_t2(t, dst.data(), "m.gguf"), tern::Error);
}

TEST(Iq2BnRepack, IsForeignTernary) {
  EXPECT_TRUE(is_foreign_ternary(TensorType::IQ2_BN));
  EXPECT_FALSE(is_foreign_ternary(TensorType::IQ4_NL));
}

}  // namespace
}  // namespace tern::model
