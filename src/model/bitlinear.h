// BitLinear on a batch of tokens: quantize the input once (per token absmax int8), then any
// number of ternary matrices that share it (q/k/v, gate/up) in ONE parallel section whose
// rows are the concatenation of all their rows, each chunk running the kernel's
// matmul and the float epilogue  out = (float)y / (s * weight_scale) * post_scale.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "kernels/backend.h"
#include "kernels/ternary.h"
#include "model/model_data.h"
#include "runtime/thread_pool.h"

namespace tern::model {

// Activations quantized for a kernel: buffers owned by the caller (sized once).
struct QuantizedInput {
  kernels::PreparedActs acts;
  int8_t* q = nullptr;        // capacity n_batch * kp_max
  float* scale = nullptr;     // capacity n_batch: s = 127 * (1 / max(absmax, 1e-5))
};

// Quantizes n_tokens rows of x (row length k, stride ldx) with the backend's quantize entry
// and prepares them for its ternary kernel.
void quantize_input(const kernels::Backend& backend, const float* x, int64_t ldx, int64_t n_tokens, int64_t k,
                    QuantizedInput& in);

struct BitLinearJob {
  const BitLinear* weight;
  float* out;  // n_tokens x weight->w.rows, row-major
};

// Runs every job on the same quantized input. `y` is int32 scratch for n_tokens x
// (sum of rows). Rows are split over the pool's threads.
void bitlinear_batch(const kernels::Kernel& kernel, ThreadPool& pool, const QuantizedInput& in,
                     std::initializer_list<BitLinearJob> jobs, int32_t* y);

}  // namespace tern::model
