// The two ways a Hugging Face BitNet checkpoint stores a BitLinear weight, both turned into
// one canonical form: ternary values T (row-major [out, in], each -1/0/+1) and the
// checkpoint-convention weight_scale, which DIVIDES (W = T / weight_scale).
//   packed (2B4T): uint8 [out/4, in], four trits per byte BY ROW BLOCKS:
//       T[i*R + r][c] = ((byte[r][c] >> 2i) & 3) - 1,  R = out/4, i = 0..3
//     plus a bf16 weight_scale scalar, upcast exactly.
//   master (2B4T-bf16): bf16/f16/f32 [out, in], ternarized exactly as HF WeightQuant does:
//       s_w = 1 / max(mean|W|, 1e-5) in float32; T = clamp(round_half_even(W * s_w), -1, 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hf/safetensors.h"

namespace tern::hf {

struct TernaryWeight {
  int64_t rows = 0;  // out_features
  int64_t cols = 0;  // in_features
  std::vector<int8_t> trits;  // rows * cols
  float weight_scale = 0;     // divides
  bool all_zero() const;
};

// Reads a scalar tensor (shape [] or [1], BF16/F16/F32) exactly as float32.
float read_scale_scalar(const StTensor& t);

// Unpacks a packed uint8 weight; checks its shape against [out/4, in], rejects code 3.
TernaryWeight unpack_packed(const StTensor& weight, const StTensor& scale, int64_t out_features,
                            int64_t in_features);
// Ternarizes a bf16/f16/f32 master weight of shape [out, in] by absmean.
TernaryWeight ternarize_master(const StTensor& weight, int64_t out_features, int64_t in_features);

// Element `i` of a BF16/F16/F32 tensor as float32 (exact upcast).
float load_float_element(const StTensor& t, uint64_t i);

}  // namespace tern::hf
