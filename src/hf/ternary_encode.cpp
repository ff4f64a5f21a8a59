#include "hf/ternary_encode.h"

#include <cstring>

#include "hf/half_float.h"
#include "kernels/ternary.h"
#include "tern/error.h"

namespace tern::hf {

namespace {

using gguf::TensorType;

void append_f32(std::vector<uint8_t>& out, float v) {
  const uint32_t b = f32_to_bits(v);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(b >> (8 * i)));
}

void append_f16(std::vector<uint8_t>& out, uint16_t h) {
  out.push_back(static_cast<uint8_t>(h & 0xff));
  out.push_back(static_cast<uint8_t>(h >> 8));
}

// The 32-byte trailer of I2_S / TERN_*: the scale, then zeros.
void append_scale_trailer(std::vector<uint8_t>& out, float scale) {
  append_f32(out, scale);
  out.insert(out.end(), gguf::kScaleTrailerBytes - 4, 0);
}

uint8_t code(int8_t t) { return static_cast<uint8_t>(t + 1); }

void encode_t2(const TernaryWeight& w, std::vector<uint8_t>& out) {
  const std::vector<uint8_t> packed = kernels::pack_t2(w.trits.data(), w.rows, w.cols);
  out.insert(out.end(), packed.begin(), packed.end());
  append_scale_trailer(out, w.weight_scale);
}

// TERN_T1: 1.6-bit base-3 rows (kernels/ternary.h), the same divisor trailer as TERN_T2.
void encode_t1(const TernaryWeight& w, std::vector<uint8_t>& out) {
  const std::vector<uint8_t> packed = kernels::pack_t1(w.trits.data(), w.rows, w.cols);
  out.insert(out.end(), packed.begin(), packed.end());
  append_scale_trailer(out, w.weight_scale);
}

// bitnet.cpp quantize_i2_s: the flattened tensor in 128-element blocks of 32 bytes; byte p
// holds elements p (bits 7:6), p+32 (5:4), p+64 (3:2), p+96 (1:0).
void encode_i2_s(const TernaryWeight& w, std::vector<uint8_t>& out) {
  const size_t n = w.trits.size();
  const size_t base = out.size();
  out.resize(base + n / 4, 0);
  uint8_t* dst = out.data() + base;
  for (size_t b = 0; b < n / 128; ++b) {
    const int8_t* t = w.trits.data() + b * 128;
    for (size_t p = 0; p < 32; ++p) {
      dst[b * 32 + p] = static_cast<uint8_t>(code(t[p]) << 6 | code(t[p + 32]) << 4 |
                                             code(t[p + 64]) << 2 | code(t[p + 96]));
    }
  }
  append_scale_trailer(out, w.all_zero() ? 0.0f : 1.0f / w.weight_scale);
}

bool block_all_zero(const int8_t* t) {
  for (int i = 0; i < 256; ++i) {
    if (t[i] != 0) return false;
  }
  return true;
}

// llama.cpp block_tq2_0: qs[64] then f16 d. In half h, byte 32h+m holds elements 128h+m
// (bits 1:0), +32 (3:2), +64 (5:4), +96 (7:6).
void encode_tq2_0(const TernaryWeight& w, std::vector<uint8_t>& out) {
  const uint16_t d = f32_to_f16(1.0f / w.weight_scale);
  const size_t n_blocks = w.trits.size() / 256;
  for (size_t b = 0; b < n_blocks; ++b) {
    const int8_t* t = w.trits.data() + b * 256;
    for (int h = 0; h < 2; ++h) {
      for (int m = 0; m < 32; ++m) {
        uint8_t q = 0;
        for (int l = 0; l < 4; ++l) q = static_cast<uint8_t>(q | code(t[128 * h + 32 * l + m]) << (2 * l));
        out.push_back(q);
      }
    }
    append_f16(out, block_all_zero(t) ? 0 : d);
  }
}

// Five (or four) base-3 digits, first element most significant, scaled to a byte with a
// ceiling division so that decoding by multiply-and-shift recovers each digit.
uint8_t pack_base3(const int8_t* t, int count, int stride) {
  uint32_t v = 0;
  for (int i = 0; i < count; ++i) v = v * 3 + code(t[i * stride]);
  for (int i = count; i < 5; ++i) v *= 3;
  return static_cast<uint8_t>((v * 256 + 242) / 243);
}

// llama.cpp block_tq1_0: qs[48] (elements 0..159 stride 32, 160..239 stride 16, five per
// byte), qh[4] (elements 240..255, four per byte), then f16 d.
void encode_tq1_0(const TernaryWeight& w, std::vector<uint8_t>& out) {
  const uint16_t d = f32_to_f16(1.0f / w.weight_scale);
  const size_t n_blocks = w.trits.size() / 256;
  for (size_t b = 0; b < n_blocks; ++b) {
    const int8_t* t = w.trits.data() + b * 256;
    for (int m = 0; m < 32; ++m) out.push_back(pack_base3(t + m, 5, 32));
    for (int m = 0; m < 16; ++m) out.push_back(pack_base3(t + 160 + m, 5, 16));
    for (int j = 0; j < 4; ++j) out.push_back(pack_base3(t + 240 + j, 4, 4));
    append_f16(out, block_all_zero(t) ? 0 : d);
  }
}

}  // namespace

bool ternary_type_fits(TensorType type, int64_t cols) {
  switch (type) {
    case TensorType::TERN_T2:
    case TensorType::TERN_T1: return cols > 0;
    case TensorType::I2_S: return cols > 0 && cols % 128 == 0;
    case TensorType::TQ2_0:
    case TensorType::TQ1_0: return cols > 0 && cols % 256 == 0;
    default: return false;
  }
}

void encode_ternary(const TernaryWeight& w, TensorType type, const std::string& what, std::vector<uint8_t>& out) {
  if (!ternary_type_fits(type, w.cols)) {
    throw Error(what + ": rows of " + std::to_string(w.cols) + " elements do not fit " + gguf::type_name(type) +
                " (I2_S needs a multiple of 128, TQ1_0/TQ2_0 of 256; use --type tern_t2)");
  }
  switch (type) {
    case TensorType::TERN_T2: encode_t2(w, out); break;
    case TensorType::TERN_T1: encode_t1(w, out); break;
    case TensorType::I2_S: encode_i2_s(w, out); break;
    case TensorType::TQ2_0: encode_tq2_0(w, out); break;
    case TensorType::TQ1_0: encode_tq1_0(w, out); break;
    default: throw Error(what + ": " + gguf::type_name(type) + " is not a ternary type");
  }
}

}  // namespace tern::hf
