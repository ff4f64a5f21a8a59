// The lookup table of the TL-style TERN_T2 kernels (x86/avx2_lut.cpp, arm/neon_lut.cpp):
// one nibble of a T2 byte holds the 2-bit codes c0, c1 of two weights (elements b and b+32,
// or b+64 and b+96), code c meaning the trit c - 1, so the 16-entry table for the activation
// pair (qa, qb) holds entry c0 + 4 * c1 = qa * (c0 - 1) + qb * (c1 - 1). |entry| <= 256
// needs int16: the entries are stored as two byte planes (low / high byte), which the
// kernels rejoin after their byte shuffles (pshufb / vqtbl1q_u8). Both keep their tables
// per token and per 128-element group in PreparedActs::extra (build_group_tables).
#pragma once

#include <cstdint>

#include "kernels/ternary.h"

namespace tern::kernels {

inline void t2_pair_table(int qa, int qb, uint8_t* lo16, uint8_t* hi16) {
  for (int c1 = 0; c1 < 4; ++c1) {
    for (int c0 = 0; c0 < 4; ++c0) {
      const int v = qa * (c0 - 1) + qb * (c1 - 1);
      lo16[c0 + 4 * c1] = static_cast<uint8_t>(v & 0xFF);
      hi16[c0 + 4 * c1] = static_cast<uint8_t>((v >> 8) & 0xFF);
    }
  }
}

// Sizes acts.extra to one block of bytes_per_group bytes per (token, 128-element group),
// token-major, and calls fill(q, block) for each with q the group's 128 activations.
// The kernels' matmul finds token t, group g at extra + (t * groups + g) * bytes_per_group.
template <class Fill>
void build_group_tables(PreparedActs& acts, int64_t bytes_per_group, Fill fill) {
  const int64_t groups = acts.kp / kT2GroupElems;
  acts.extra.resize(static_cast<size_t>(acts.n_tokens * groups * bytes_per_group));
  for (int64_t t = 0; t < acts.n_tokens; ++t) {
    for (int64_t g = 0; g < groups; ++g) {
      fill(acts.q + t * acts.kp + g * kT2GroupElems, acts.extra.data() + (t * groups + g) * bytes_per_group);
    }
  }
}

}  // namespace tern::kernels
