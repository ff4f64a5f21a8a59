// The token embedding (= the tied lm_head) in the GGUF float and block types: F32 (exact),
// F16 (round to nearest even; values that do not round-trip are counted), and ggml's
// reference quantizers for Q8_0, Q4_0 and Q6_K (block layouts of ggml-common.h), with
// dequantizers for tests and for reporting the error.
#pragma once

#include <cstdint>
#include <vector>

#include "gguf/gguf_types.h"

namespace tern::hf {

// What converting values lost (reported by `tern convert`).
struct EmbdStats {
  uint64_t values = 0;
  uint64_t inexact = 0;    // F16: values that do not round-trip exactly
  uint64_t overflow = 0;   // F16: |x| > 65504 (became +-inf)
  uint64_t subnormal = 0;  // F16: |x| < 2^-14 (reduced precision)
  double max_abs_error = 0;
};

bool embd_type_supported(gguf::TensorType type);
// Bytes of one row of `n` elements; throws tern::Error (prefixed by `what`) if `n` is not
// a multiple of the type's block size.
uint64_t embd_row_bytes(gguf::TensorType type, int64_t n, const std::string& what);
// Encodes one row; `out` must hold embd_row_bytes(type, n). Updates `stats` if non-null.
void quantize_embd_row(gguf::TensorType type, const float* x, int64_t n, uint8_t* out, EmbdStats* stats);
// Decodes one row back to float32.
void dequantize_embd_row(gguf::TensorType type, const uint8_t* in, int64_t n, float* out);

}  // namespace tern::hf
