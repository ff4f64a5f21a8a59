// The model's names for the f16 / bf16 <-> float conversions (f16 KV cache, F16/BF16
// embeddings, the peers' f16 block scales). One implementation, in the kernels
// (kernels/float_ops.h); the hot loops that need many per token (the F16 lm_head) use the
// kernels' row converters and head GEMM instead.
#pragma once

#include "kernels/float_ops.h"

namespace tern::model {

using kernels::bf16_to_f32;
using kernels::f16_to_f32;
using kernels::f32_to_bf16;
using kernels::f32_to_f16;

}  // namespace tern::model
