// The reference ternary matmul: the specification every other kernel must equal exactly.
// It decodes the TERN_T2 layout literally (ternary.h) and multiplies with t in {-1,0,+1}.
#include "kernels/kernel_impls.h"

namespace tern::kernels {

void compute_token_sums(PreparedActs& acts) {
  acts.sums.assign(static_cast<size_t>(acts.n_tokens), 0);
  for (int64_t t = 0; t < acts.n_tokens; ++t) {
    const int8_t* q = acts.q + t * acts.kp;
    int32_t s = 0;
    for (int64_t i = 0; i < acts.kp; ++i) s += q[i];
    acts.sums[static_cast<size_t>(t)] = s;
  }
}

namespace {

void scalar_prepare(PreparedActs& acts) { compute_token_sums(acts); }

void scalar_matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                   int64_t row_begin, int64_t row_end) {
  counters::ternary_scalar.bump();
  const int64_t row_bytes = t2_row_bytes(w.k);
  const int64_t groups = acts.kp / kT2GroupElems;
  for (int64_t t = 0; t < acts.n_tokens; ++t) {
    const int8_t* q = acts.q + t * acts.kp;
    for (int64_t r = row_begin; r < row_end; ++r) {
      const uint8_t* row = w.data + r * row_bytes;
      int32_t acc = 0;
      for (int64_t g = 0; g < groups; ++g) {
        for (int m = 0; m < kT2GroupBytes; ++m) {
          const uint8_t byte = row[g * kT2GroupBytes + m];
          for (int j = 0; j < 4; ++j) {
            const int weight = ((byte >> (2 * j)) & 3) - 1;
            acc += weight * q[g * kT2GroupElems + j * 32 + m];
          }
        }
      }
      y[t * ldy + r] = acc;
    }
  }
}

}  // namespace

const Kernel kScalarKernel = {
    "scalar", "portable C++ reference (the specification; slow)", cpu_runs_portable, 0,
    scalar_prepare, scalar_matmul, 1, "nothing", scalar_matmul_t1};

}  // namespace tern::kernels
