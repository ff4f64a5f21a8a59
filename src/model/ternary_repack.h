// One-time conversion of the peers' ternary tensor types into TERN_T2 (the layout every
// tern kernel reads), and of their multiplying scales into tern's dividing weight_scale.
//   I2_S  (bitnet.cpp):  2-bit codes, 128-element groups, bit pairs in the reverse order of
//                        TERN_T2; one f32 scale after the data.
//   TQ2_0 (llama.cpp):   256-element blocks = two TERN_T2 groups + an f16 scale d.
//   TQ1_0 (llama.cpp):   256-element blocks of base-3 codes + an f16 scale d.
//   IQ2_BN (ik_llama.cpp): per row an f32 scale d, then 64-element blocks of 16 bytes whose
//                        byte j holds the codes of elements j, j+16, j+32, j+48.
// Layouts: ../shared/peers/PEERS.md §4.3 and §4.5; IQ2_BN from ik_llama.cpp's
// ggml/src/ggml-common.h (block_iq2_bn), ggml/src/ggml.c (row_meta_size 4) and
// ggml/src/iqk/iqk_quantize.cpp (quantize_one_row_2bn, dequantize_row_iq2_bn).
#pragma once

#include <cstdint>
#include <string>

#include "gguf/gguf_file.h"

namespace tern::model {

bool is_foreign_ternary(gguf::TensorType type);

// Writes `t` (rows = dims[1], k = dims[0]) in TERN_T2 layout to dst (rows * t2_row_bytes(k)
// bytes) and returns its weight_scale (divides). Throws tern::Error naming `file` and the
// tensor if the data holds an invalid code, or per-block (per-row for IQ2_BN) scales that
// differ (tern keeps one scale per tensor); all-zero blocks and rows are exempt.
float repack_to_t2(const gguf::TensorInfo& t, uint8_t* dst, const std::string& file);

// The dividing weight_scale for a multiplying scale `scale` stored as f32 (I2_S): the exact
// bf16 checkpoint value when `scale` is the f32 reciprocal of one (as bitnet.cpp's converter
// writes it), else 1/scale. 0 (an all-zero tensor) gives 1.
float weight_scale_from_f32_scale(float scale);
// The same for an f16 block scale (TQ1_0 / TQ2_0): (float)(1.0 / (double)d), 1 for d = 0.
float weight_scale_from_f16_scale(float d);

}  // namespace tern::model
