// Scalar decoders of ggml's Q8_0 / Q4_0 / Q6_K / Q4_K / IQ4_NL blocks (ggml_blocks.h). Each weight is one
// or two float32 products in a fixed order, so the converter's round-trip statistics and the
// model's dense rows see the same floats.
#include "kernels/ggml_blocks.h"

#include "kernels/float_ops.h"

namespace tern::kernels {
namespace {

float load_f16_le(const uint8_t* p) { return f16_to_f32(static_cast<uint16_t>(p[0] | (p[1] << 8))); }

// Q4_K sub-block j's 6-bit scale and min (ggml's get_scale_min_k4): sub-blocks 0..3 keep
// theirs in the low 6 bits of bytes j and j+4; sub-blocks 4..7 split theirs into a low
// nibble of byte j+4 and the top two bits of bytes j-4 (scale) and j (min).
void q4_k_scale_min(int j, const uint8_t* q, int* sc, int* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

}  // namespace

void dequantize_q8_0(const uint8_t* blocks, int64_t n, float* out) {
  for (int64_t b = 0; b < n / kQ8_0BlockElems; ++b) {
    const uint8_t* blk = blocks + b * kQ8_0BlockBytes;
    const float d = load_f16_le(blk);
    float* y = out + b * kQ8_0BlockElems;
    for (int i = 0; i < 32; ++i) y[i] = d * static_cast<float>(static_cast<int8_t>(blk[2 + i]));
  }
}

void dequantize_q4_0(const uint8_t* blocks, int64_t n, float* out) {
  for (int64_t b = 0; b < n / kQ4_0BlockElems; ++b) {
    const uint8_t* blk = blocks + b * kQ4_0BlockBytes;
    const float d = load_f16_le(blk);
    float* y = out + b * kQ4_0BlockElems;
    for (int i = 0; i < 16; ++i) {
      y[i] = d * static_cast<float>((blk[2 + i] & 0x0F) - 8);
      y[i + 16] = d * static_cast<float>((blk[2 + i] >> 4) - 8);
    }
  }
}

void dequantize_q6_k(const uint8_t* blocks, int64_t n, float* out) {
  for (int64_t b = 0; b < n / kQ6_KBlockElems; ++b) {
    const uint8_t* blk = blocks + b * kQ6_KBlockBytes;
    const uint8_t* ql = blk;
    const uint8_t* qh = blk + 128;
    const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
    const float d = load_f16_le(blk + 208);
    float* y = out + b * kQ6_KBlockElems;
    // Two halves of 128 weights; in each, weight l and l+32/64/96 share ql/qh bytes.
    for (int half = 0; half < 2; ++half) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

void dequantize_q4_k(const uint8_t* blocks, int64_t n, float* out) {
  for (int64_t b = 0; b < n / kQ4_KBlockElems; ++b) {
    const uint8_t* blk = blocks + b * kQ4_KBlockBytes;
    const float d = load_f16_le(blk);
    const float dmin = load_f16_le(blk + 2);
    const uint8_t* scales = blk + 4;
    const uint8_t* q = blk + 16;
    float* y = out + b * kQ4_KBlockElems;
    // Four 64-weight chunks; each is two sub-blocks sharing 32 code bytes (low, high nibble).
    for (int chunk = 0; chunk < 4; ++chunk) {
      int sc = 0, m = 0;
      q4_k_scale_min(2 * chunk, scales, &sc, &m);
      const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
      q4_k_scale_min(2 * chunk + 1, scales, &sc, &m);
      const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) y[l] = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) y[32 + l] = d2 * static_cast<float>(q[l] >> 4) - m2;
      y += 64;
      q += 32;
    }
  }
}

void dequantize_iq4_nl(const uint8_t* blocks, int64_t n, float* out) {
  for (int64_t b = 0; b < n / kIQ4_NLBlockElems; ++b) {
    const uint8_t* blk = blocks + b * kIQ4_NLBlockBytes;
    const float d = load_f16_le(blk);
    float* y = out + b * kIQ4_NLBlockElems;
    for (int i = 0; i < 16; ++i) {
      y[i] = d * static_cast<float>(kIq4nlValues[blk[2 + i] & 0x0F]);
      y[i + 16] = d * static_cast<float>(kIq4nlValues[blk[2 + i] >> 4]);
    }
  }
}

}  // namespace tern::kernels
