// The lm_head is more than half of what decode reads per token (128256 x 2560 F16 on the
// 2B4T shape): F16 and BF16 heads go through the kernels' head GEMM (AVX2+F16C where the CPU
// has it), Q8_0 heads through the kernels' Q8_0 head (kernels/q8_head.h, in kQ8HeadMode);
// Q6_K and Q4_0 decode a row at a time and dot it in plain C++.
#include "model/dense.h"

#include <cstring>
#include <string>
#include <vector>

#include "kernels/float_ops.h"
#include "kernels/q8_head.h"
#include "model/half.h"
#include "tern/error.h"


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
      kernels::f16_to_f32_row(reinterpret_cast<const uint16_t*>(p), out, n);
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

}  // namespace

void dense_matmul(const DenseMatrix& m, const float* x, int64_t ldx, int64_t n_tokens, float* y,
                  int64_t ldy, int64_t row_begin, int64_t row_end) {
  if (row_begin >= row_end || n_tokens <= 0) return;
  const uint16_t* w16 = reinterpret_cast<const uint16_t*>(m.data);
  if (ldx == m.cols && m.type == TensorType::F16) {
    kernels::gemm_f16_f32_rows(w16, m.cols, x, n_tokens, y, ldy, row_begin, row_end);
  } else if (ldx == m.cols && m.type == TensorType::BF16) {
    kernels::gemm_bf16_f32_rows(w16, m.cols, x, n_tokens, y, ldy, row_begin, row_end);
  } else if (ldx == m.cols && m.type == TensorType::Q8_0) {
    const uint8_t* acts = nullptr;
    if (kQ8HeadMode == kernels::Q8Head::Int8) {
      // Each thread quantizes the tokens for its own rows (microseconds, against the
      // milliseconds of its share of the head); the buffer grows once, then is reused.
      thread_local std::vector<uint8_t> buf;
      const auto need = static_cast<size_t>(n_tokens * kernels::q8_acts_bytes(m.cols));
      if (buf.size() < need) buf.resize(need);
      kernels::quantize_q8_acts(x, m.cols, n_tokens, buf.data());
      acts = buf.data();
    }
    kernels::gemm_q8_0_rows(kQ8HeadMode, m.data, m.cols, x, acts, n_tokens, y, ldy, row_begin, row_end);
  } else {
    matmul_generic(m, x, ldx, n_tokens, y, ldy, row_begin, row_end);
  }
}

std::string head_accuracy_note(const std::string& lm_head_type) {
  // Head-only measurements: the quantized head applied to the exact model's final hidden
  // states at every golden position (tiny-a, tiny-b, tiny-a-bf16 for Q8_0; tiny-a and tiny-b
  // for the others). A tied table also quantizes the token embedding; that costs more
  // (bench/README.md, "lm_head").
  if (lm_head_type == "Q8_0")
    return "approximate: top-1 as the exact F16 head at 763/771 golden positions (99.0%), max |logit change| 1.99";
  if (lm_head_type == "Q6_K")
    return "approximate: top-1 as the exact F16 head at 494/514 golden positions (96.1%), max |logit change| 5.94";
  if (lm_head_type == "Q4_0")
    return "approximate: top-1 as the exact F16 head at 436/514 golden positions (84.8%), max |logit change| 2.55";
  return {};
}

}  // namespace tern::model
