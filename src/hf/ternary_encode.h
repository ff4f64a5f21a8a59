// Writes a canonical ternary weight (T, weight_scale that divides) in each GGUF ternary
// type. Byte layouts: TERN_T2 in kernels/ternary.h + src/gguf/gguf_types.h; I2_S, TQ2_0 and
// TQ1_0 as bitnet.cpp / llama.cpp write them (../shared/peers/PEERS.md §4.3, §4.5).
// GGUF's foreign types store the MULTIPLYING scale 1/weight_scale:
//   I2_S:  one f32 = float32(1/weight_scale) after the codes (0 for an all-zero tensor, as
//          bitnet.cpp's max|w| gives),
//   TQ*_0: per 256-block f16 d = f16(float32(1/weight_scale)), 0 for an all-zero block.
// TERN_T2 and TERN_T1 keep the checkpoint's divisor exactly: trailer bytes 0..3 = f32(weight_scale).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf_types.h"
#include "hf/ternary_source.h"
#include "tern/convert.h"

namespace tern::hf {

// Appends the GGUF bytes of `w` in `type` (TERN_T2, TERN_T1, I2_S, TQ2_0 or TQ1_0) to `out`.
// `what` names the tensor in errors (row lengths a type cannot hold).
void encode_ternary(const TernaryWeight& w, gguf::TensorType type, const std::string& what,
                    std::vector<uint8_t>& out);

// True if `type` can hold rows of `cols` elements (I2_S: multiple of 128; TQ: of 256).
bool ternary_type_fits(gguf::TensorType type, int64_t cols);

// The GGUF tensor type of each `tern convert` / `tern synth` --type and --embd-type
// (defined in convert.cpp, beside the names).
gguf::TensorType tensor_type_of(WeightType t);
gguf::TensorType tensor_type_of(EmbdType t);

}  // namespace tern::hf
