// The reference TERN_T1 matmul: the specification the fast T1 kernels must equal exactly
// (and, for the same trits, exactly the T2 reference: both are the integer sum q * t).
// It decodes each byte's five digits literally and multiplies with t in {-1,0,+1}; it
// never reads activations past acts.kp nor weights past the row's t1_row_bytes.
#include <algorithm>

#include "kernels/kernel_impls.h"

namespace tern::kernels {

void scalar_matmul_t1(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                      int64_t row_begin, int64_t row_end) {
  counters::ternary_scalar.bump();
  const int64_t row_bytes = t1_row_bytes(w.k);
  const int64_t limit = std::min(acts.kp, t1_padded_k(w.k));  // elements with both a weight and an activation
  for (int64_t t = 0; t < acts.n_tokens; ++t) {
    const int8_t* q = acts.q + t * acts.kp;
    for (int64_t r = row_begin; r < row_end; ++r) {
      const uint8_t* row = w.data + r * row_bytes;
      int32_t acc = 0;
      for (int64_t b = 0; b < row_bytes; ++b) {
        const int64_t base = b / kT1GroupBytes * kT1GroupElems + b % kT1GroupBytes;
        for (int i = 0; i < kT1TritsPerByte; ++i) {
          const int64_t e = base + 32 * i;
          if (e >= limit) continue;
          acc += (t1_decode_digit(row[b], i) - 1) * q[e];
        }
      }
      y[t * ldy + r] = acc;
    }
  }
}

}  // namespace tern::kernels
