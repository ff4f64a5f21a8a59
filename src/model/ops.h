// Transitional: SiLU gating now lives with the other float ops (kernels/float_ops.h, the
// backend's float entry); this forwards to it until forward.cpp reads the model's Backend.
#pragma once

#include <cstdint>

#include "kernels/float_ops.h"

namespace tern::model::ops {

inline void silu_mul(float* gate, const float* up, int64_t n) { kernels::silu_mul(gate, up, n); }

}  // namespace tern::model::ops
