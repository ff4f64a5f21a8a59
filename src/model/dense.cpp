// The lm_head is more than half of what decode reads per token (128256 x 2560 F16 on the
// 2B4T shape): F16 and BF16 heads go through the backend's head entry (AVX2+F16C where the
// CPU has it), Q8_0 heads through its q8head entry (kernels/q8_head.h, in kQ8HeadMode);
// Q6_K, Q4_K, Q4_0 and IQ4_NL decode a row at a time and dot it in plain C++ (the peers'
// default embedding types of TQ / IQ2_BN files; llama.cpp writes Q4_K token_embd + Q6_K
// output, ik_llama.cpp IQ4_NL token_embd + Q6_K output).
#include "model/dense.h"

#include <cstring>
#include <string>
#include <vector>

#include "kernels/float_ops.h"
#include "kernels/ggml_blocks.h"
#include "kernels/q8_head.h"
#include "model/half.h"
#include "tern/error.h"

namespace tern::model {

using gguf::TensorType;

namespace {

void f32_row(const uint8_t* p, int64_t n, float* out) { std::memcpy(out, p, static_cast<size_t>(n) * 4); }
void f16_row(const uint8_t* p, int64_t n, float* out) {
  kernels::f16_to_f32_row(reinterpret_cast<const uint16_t*>(p), out, n);
}
void bf16_row(const uint8_t* p, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    out[i] = bf16_to_f32(h);
  }
}

// Exact types first, then the ggml block layouts (kernels/ggml_blocks.h).
constexpr DenseType kDenseTypes[] = {
    {TensorType::F32, f32_row},
    {TensorType::F16, f16_row},
    {TensorType::BF16, bf16_row},
    {TensorType::Q8_0, kernels::dequantize_q8_0},
    {TensorType::Q6_K, kernels::dequantize_q6_k},
    {TensorType::Q4_K, kernels::dequantize_q4_k},
    {TensorType::Q4_0, kernels::dequantize_q4_0},
    {TensorType::IQ4_NL, kernels::dequantize_iq4_nl},
};

}  // namespace

const DenseType* dense_type(TensorType type) {
  for (const DenseType& d : kDenseTypes) {
    if (d.type == type) return &d;
  }
  return nullptr;
}

std::string dense_type_names() {
  std::string s;
  for (const DenseType& d : kDenseTypes) s += std::string(s.empty() ? "" : ", ") + gguf::type_name(d.type);
  return s;
}

bool is_dense_type(TensorType type) { return dense_type(type) != nullptr; }

uint64_t dense_row_bytes(TensorType type, int64_t cols) {
  if (!is_dense_type(type)) throw Error(std::string("dense_row_bytes: unsupported type ") + gguf::type_name(type));
  const gguf::TypeTraits t = *gguf::type_traits(type);
  return static_cast<uint64_t>(cols) / t.block_elems * t.block_bytes;
}

void dense_row(const DenseMatrix& m, int64_t row, float* out) {
  const DenseType* d = dense_type(m.type);
  if (d == nullptr) throw Error(std::string("dense_row: unsupported type ") + gguf::type_name(m.type));
  d->to_float(m.data + static_cast<uint64_t>(row) * m.row_bytes, m.cols, out);
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

void dense_matmul(const kernels::Backend& backend, const DenseMatrix& m, const float* x, int64_t ldx,
                  int64_t n_tokens, float* y, int64_t ldy, int64_t row_begin, int64_t row_end) {
  if (row_begin >= row_end || n_tokens <= 0) return;
  const uint16_t* w16 = reinterpret_cast<const uint16_t*>(m.data);
  if (ldx == m.cols && m.type == TensorType::F16) {
    backend.head->f16(w16, m.cols, x, n_tokens, y, ldy, row_begin, row_end);
  } else if (ldx == m.cols && m.type == TensorType::BF16) {
    backend.head->bf16(w16, m.cols, x, n_tokens, y, ldy, row_begin, row_end);
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
    backend.q8_head->rows(kQ8HeadMode, m.data, m.cols, x, acts, n_tokens, y, ldy, row_begin, row_end);
  } else {
    matmul_generic(m, x, ldx, n_tokens, y, ldy, row_begin, row_end);
  }
}

void dense_matmul(const DenseMatrix& m, const float* x, int64_t ldx, int64_t n_tokens, float* y, int64_t ldy,
                  int64_t row_begin, int64_t row_end) {
  dense_matmul(kernels::best_backend(), m, x, ldx, n_tokens, y, ldy, row_begin, row_end);
}

std::string head_accuracy_note(const std::string& lm_head_type) {
  // Head-only measurements: the quantized head applied to the exact model's final hidden
  // states at every golden position (tiny-a, tiny-b, tiny-a-bf16 for Q8_0; tiny-a and tiny-b
  // for the others). A tied table also quantizes the token embedding; that costs more
  // (bench/README.md, "lm_head").
  if (lm_head_type == "Q8_0")
    return "approximate: top-1 as the exact F16 head at 768/771 golden positions (99.6%), max |logit change| 1.99";
  if (lm_head_type == "Q6_K")
    return "approximate: top-1 as the exact F16 head at 494/514 golden positions (96.1%), max |logit change| 5.94";
  if (lm_head_type == "Q4_0")
    return "approximate: top-1 as the exact F16 head at 436/514 golden positions (84.8%), max |logit change| 2.55";
  // The peers' default token_embd types; no peer writes them as a head, and their agreement
  // with an exact head has not been measured.
  if (lm_head_type == "Q4_K")
    return "approximate: lossy 4-bit blocks (4.5 bits per weight); agreement with an exact head not measured";
  if (lm_head_type == "IQ4_NL")
    return "approximate: lossy 4-bit non-linear table (4.5 bits per weight); agreement with an exact head not measured";
  return {};
}

}  // namespace tern::model
