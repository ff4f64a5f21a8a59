// The lm_head is more than half of what decode reads per token (128256 x 2560 F16 on the
// 2B4T shape), so its F16 path converts 8 halves at a time with F16C (x86) or the base
// NEON conversions (aarch64) when the CPU has them; everything else is plain C++.
#include "model/dense.h"

#include <cstring>
#include <string>

#include "model/half.h"
#include "runtime/cpu_features.h"
#include "tern/error.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define TERN_DENSE_X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define TERN_DENSE_NEON 1
#endif

namespace tern::model {

using gguf::TensorType;

bool is_dense_type(TensorType type) {
  switch (type) {
    case TensorType::F32: case TensorType::F16: case TensorType::BF16:
    case TensorType::Q8_0: case TensorType::Q4_0: case TensorType::Q6_K:
      return true;
    default:
      return false;
  }
}

uint64_t dense_row_bytes(TensorType type, int64_t cols) {
  const uint64_t n = static_cast<uint64_t>(cols);
  switch (type) {
    case TensorType::F32: return n * 4;
    case TensorType::F16: case TensorType::BF16: return n * 2;
    case TensorType::Q8_0: return n / 32 * 34;
    case TensorType::Q4_0: return n / 32 * 18;
    case TensorType::Q6_K: return n / 256 * 210;
    default: throw Error(std::string("dense_row_bytes: unsupported type ") + gguf::type_name(type));
  }
}

void dense_row(const DenseMatrix& m, int64_t row, float* out) {
  const uint8_t* p = m.data + static_cast<uint64_t>(row) * m.row_bytes;
  const int64_t n = m.cols;
  switch (m.type) {
    case TensorType::F32:
      std::memcpy(out, p, static_cast<size_t>(n) * 4);
      return;
    case TensorType::F16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = f16_to_f32(h);
      }
      return;
    case TensorType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = bf16_to_f32(h);
      }
      return;
    case TensorType::Q8_0:  // blocks of {f16 d; int8 q[32]}: x = d * q
      for (int64_t b = 0; b < n / 32; ++b) {
        const uint8_t* blk = p + b * 34;
        uint16_t dh;
        std::memcpy(&dh, blk, 2);
        const float d = f16_to_f32(dh);
        for (int i = 0; i < 32; ++i) out[b * 32 + i] = d * static_cast<float>(static_cast<int8_t>(blk[2 + i]));
      }
      return;
    case TensorType::Q4_0:  // blocks of {f16 d; u8 qs[16]}: low nibbles 0..15, high 16..31; x = d*(q-8)
      for (int64_t b = 0; b < n / 32; ++b) {
        const uint8_t* blk = p + b * 18;
        uint16_t dh;
        std::memcpy(&dh, blk, 2);
        const float d = f16_to_f32(dh);
        for (int i = 0; i < 16; ++i) {
          out[b * 32 + i] = d * static_cast<float>((blk[2 + i] & 0x0f) - 8);
          out[b * 32 + 16 + i] = d * static_cast<float>((blk[2 + i] >> 4) - 8);
        }
      }
      return;
    case TensorType::Q6_K:  // blocks of {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} (ggml block_q6_K)
      for (int64_t b = 0; b < n / 256; ++b) {
        const uint8_t* blk = p + b * 210;
        const uint8_t* ql = blk;
        const uint8_t* qh = blk + 128;
        const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192);
        uint16_t dh;
        std::memcpy(&dh, blk + 208, 2);
        const float d = f16_to_f32(dh);
        float* y = out + b * 256;
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
      return;
    default:
      throw Error(std::string("dense_row: unsupported type ") + gguf::type_name(m.type));
  }
}

namespace {

constexpr int kMaxTokens = 8;  // tokens handled per pass over a row block

// Generic path: dequantize a row into `tmp`, dot with every token.
void matmul_generic(const DenseMatrix& m, const float* x, int64_t ldx, int64_t n_tokens, float* y,
                    int64_t ldy, int64_t row_begin, int64_t row_end) {
  float tmp[4096];
  std::vector<float> big;
  float* row = tmp;
  if (m.cols > 4096) {
    big.resize(static_cast<size_t>(m.cols));
    row = big.data();
  }
  for (int64_t r = row_begin; r < row_end; ++r) {
    dense_row(m, r, row);
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* xt = x + t * ldx;
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t i = 0;
      for (; i + 8 <= m.cols; i += 8)
        for (int j = 0; j < 8; ++j) acc[j] += row[i + j] * xt[i + j];
      for (; i < m.cols; ++i) acc[0] += row[i] * xt[i];
      y[t * ldy + r] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
  }
}

#if TERN_DENSE_X86
__attribute__((target("avx2,fma,f16c"))) inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// F16 rows x float tokens, 8 halves per step, two accumulators per token.
__attribute__((target("avx2,fma,f16c"))) void matmul_f16_avx2(const DenseMatrix& m, const float* x,
                                                              int64_t ldx, int64_t n_tokens, float* y,
                                                              int64_t ldy, int64_t row_begin,
                                                              int64_t row_end) {
  const int64_t n = m.cols;
  const int64_t n16 = n / 16 * 16;
  for (int64_t t0 = 0; t0 < n_tokens; t0 += kMaxTokens) {
    const int64_t nt = std::min<int64_t>(kMaxTokens, n_tokens - t0);
    for (int64_t r = row_begin; r < row_end; ++r) {
      const uint16_t* w = reinterpret_cast<const uint16_t*>(m.data + static_cast<uint64_t>(r) * m.row_bytes);
      __m256 acc0[kMaxTokens], acc1[kMaxTokens];
      for (int t = 0; t < nt; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
      for (int64_t i = 0; i < n16; i += 16) {
        const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
        const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i + 8)));
        for (int t = 0; t < nt; ++t) {
          const float* xt = x + (t0 + t) * ldx + i;
          acc0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xt), acc0[t]);
          acc1[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xt + 8), acc1[t]);
        }
      }
      for (int t = 0; t < nt; ++t) {
        float s = hsum256(_mm256_add_ps(acc0[t], acc1[t]));
        const float* xt = x + (t0 + t) * ldx;
        for (int64_t i = n16; i < n; ++i) s += f16_to_f32(w[i]) * xt[i];
        y[(t0 + t) * ldy + r] = s;
      }
    }
  }
}

bool cpu_has_f16c() {
  static const bool ok = cpu_features().avx2 && cpu_features().fma && cpu_features().f16c;
  return ok;
}
#endif

#if TERN_DENSE_NEON
void matmul_f16_neon(const DenseMatrix& m, const float* x, int64_t ldx, int64_t n_tokens, float* y,
                     int64_t ldy, int64_t row_begin, int64_t row_end) {
  const int64_t n = m.cols;
  const int64_t n8 = n / 8 * 8;
  for (int64_t t0 = 0; t0 < n_tokens; t0 += kMaxTokens) {
    const int64_t nt = std::min<int64_t>(kMaxTokens, n_tokens - t0);
    for (int64_t r = row_begin; r < row_end; ++r) {
      const uint16_t* w = reinterpret_cast<const uint16_t*>(m.data + static_cast<uint64_t>(r) * m.row_bytes);
      float32x4_t acc0[kMaxTokens], acc1[kMaxTokens];
      for (int t = 0; t < nt; ++t) acc0[t] = acc1[t] = vdupq_n_f32(0);
      for (int64_t i = 0; i < n8; i += 8) {
        const float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(w + i));
        const float32x4_t w0 = vcvt_f32_f16(vget_low_f16(h));
        const float32x4_t w1 = vcvt_f32_f16(vget_high_f16(h));
        for (int t = 0; t < nt; ++t) {
          const float* xt = x + (t0 + t) * ldx + i;
          acc0[t] = vfmaq_f32(acc0[t], w0, vld1q_f32(xt));
          acc1[t] = vfmaq_f32(acc1[t], w1, vld1q_f32(xt + 4));
        }
      }
      for (int t = 0; t < nt; ++t) {
        float s = vaddvq_f32(vaddq_f32(acc0[t], acc1[t]));
        const float* xt = x + (t0 + t) * ldx;
        for (int64_t i = n8; i < n; ++i) s += f16_to_f32(w[i]) * xt[i];
        y[(t0 + t) * ldy + r] = s;
      }
    }
  }
}
#endif

}  // namespace

void dense_matmul(const DenseMatrix& m, const float* x, int64_t ldx, int64_t n_tokens, float* y,
                  int64_t ldy, int64_t row_begin, int64_t row_end) {
  if (row_begin >= row_end || n_tokens <= 0) return;
#if TERN_DENSE_X86
  if (m.type == TensorType::F16 && cpu_has_f16c()) {
    matmul_f16_avx2(m, x, ldx, n_tokens, y, ldy, row_begin, row_end);
    return;
  }
#elif TERN_DENSE_NEON
  if (m.type == TensorType::F16) {
    matmul_f16_neon(m, x, ldx, n_tokens, y, ldy, row_begin, row_end);
    return;
  }
#endif
  matmul_generic(m, x, ldx, n_tokens, y, ldy, row_begin, row_end);
}

}  // namespace tern::model
