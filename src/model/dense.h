// Full-precision matrices of the model: the token embedding (one row per token id) and the
// lm_head (logits = h . row for every vocabulary row). F32, F16 and BF16 are exact (the
// golden semantics keep the lm_head unquantized); Q8_0, Q6_K, Q4_0 (tern's light heads) and
// Q4_K, IQ4_NL (the peers' default token_embd types) are accepted as approximate matrices.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/backend.h"
#include "kernels/q8_head.h"
#include "model/model_data.h"

namespace tern::model {

// How a Q8_0 lm_head is applied (kernels/q8_head.h): the dequantized matrix times the
// float32 hidden state. Both modes run at read bandwidth; the Int8 mode's extra rounding
// of the hidden state costs agreement (measured by tests/model/light_head_test.cpp,
// figures in bench/README.md), so F32 is the default.
constexpr kernels::Q8Head kQ8HeadMode = kernels::Q8Head::F32;

// The dense GGUF types, one row each: how a row becomes float32. A row's bytes come from
// gguf::type_traits (block elements and bytes).
struct DenseType {
  gguf::TensorType type;
  void (*to_float)(const uint8_t* row, int64_t cols, float* out);
};
// The row of `type`, or nullptr if it is not a dense type.
const DenseType* dense_type(gguf::TensorType type);
// "F32, F16, BF16, ...": the dense types, for messages.
std::string dense_type_names();
bool is_dense_type(gguf::TensorType type);
// Bytes of one row of `cols` elements (cols must be a multiple of the block size).
uint64_t dense_row_bytes(gguf::TensorType type, int64_t cols);

// out[0..cols) = row `row` of m as float.
void dense_row(const DenseMatrix& m, int64_t row, float* out);

// y[t * ldy + r] = dot(x[t * ldx .. + cols), row r) for t < n_tokens, r in [row_begin,
// row_end). Each row is read once for all tokens. Float32 accumulation. F16 / BF16 run the
// backend's head entry, Q8_0 its q8head entry (when x rows are contiguous), the other types
// a row-at-a-time plain C++ dot.
void dense_matmul(const kernels::Backend& backend, const DenseMatrix& m, const float* x, int64_t ldx,
                  int64_t n_tokens, float* y, int64_t ldy, int64_t row_begin, int64_t row_end);
// The same with kernels::best_backend() (tests and tools without a model).
void dense_matmul(const DenseMatrix& m, const float* x, int64_t ldx, int64_t n_tokens, float* y,
                  int64_t ldy, int64_t row_begin, int64_t row_end);

// For a quantized lm_head (`lm_head_type` as gguf::type_name spells it): that its logits
// are approximate and what that cost on the golden models against the exact F16 head
// (tests/model/light_head_test.cpp, tests/model/lm_head_test.cpp). Empty for exact types.
std::string head_accuracy_note(const std::string& lm_head_type);

}  // namespace tern::model
