// The attention tile (kernels/attention.h) over the inner loops of one implementation
// (backend.cpp holds the implementations and chooses). Compiled without ISA flags.
#include "kernels/attention.h"

#include <algorithm>

#include "kernels/float_ops.h"
#include "kernels/impl_counter.h"

namespace tern::kernels {

size_t attention_scratch_floats(int64_t rows, int64_t n_keys, int64_t head_dim) {
  return static_cast<size_t>(rows * n_keys + 2 * kAttentionKeyBlock * head_dim);
}

// Scores for every row over key blocks (each K block converted once, used by every row),
// softmax per row, then the weighted V sum over the same blocks in ascending key order.
// Rows only visit keys up to their own position (causal); the scores row of row r is
// scratch + r * n_keys.
void attend_tile(const AttentionKernels& kern, const AttentionTile& t, float* scratch) {
  kern.calls->bump();
  const int64_t hd = t.head_dim, nh = t.n_heads;
  const int64_t n_keys = t.pos0 + t.n_tokens;
  float* scores = scratch;
  float* block_buf = scratch + t.n_tokens * nh * n_keys;
  // Rows [j0, j0 + nb) of K or V as floats: straight from an f32 cache, converted for f16.
  const auto block = [&](const void* base, int64_t j0, int64_t nb, int64_t* ld) -> const float* {
    if (!t.f16) {
      *ld = t.ld_kv;
      return static_cast<const float*>(base) + j0 * t.ld_kv;
    }
    kern.f16_rows(static_cast<const uint16_t*>(base) + j0 * t.ld_kv, t.ld_kv, nb, hd, block_buf);
    *ld = hd;
    return block_buf;
  };
  // Keys of block [j0, j0 + nb) that token tok attends.
  const auto keys_of = [&](int64_t tok, int64_t j0, int64_t nb) {
    return std::min(j0 + nb, t.pos0 + tok + 1) - j0;
  };

  for (int64_t j0 = 0; j0 < n_keys; j0 += kAttentionKeyBlock) {
    const int64_t nb = std::min(kAttentionKeyBlock, n_keys - j0);
    int64_t ld = 0;
    const float* kb = block(t.k, j0, nb, &ld);
    for (int64_t tok = 0; tok < t.n_tokens; ++tok) {
      const int64_t nk = keys_of(tok, j0, nb);
      if (nk <= 0) continue;
      for (int64_t h = 0; h < nh; ++h) {
        kern.qk(t.q + tok * t.ld_q_token + h * hd, kb, ld, nk, hd, t.scale, scores + (tok * nh + h) * n_keys + j0);
      }
    }
  }
  for (int64_t tok = 0; tok < t.n_tokens; ++tok) {
    for (int64_t h = 0; h < nh; ++h) {
      softmax(scores + (tok * nh + h) * n_keys, t.pos0 + tok + 1);
      float* out = t.out + tok * t.ld_out_token + h * hd;
      std::fill(out, out + hd, 0.0f);
    }
  }
  for (int64_t j0 = 0; j0 < n_keys; j0 += kAttentionKeyBlock) {
    const int64_t nb = std::min(kAttentionKeyBlock, n_keys - j0);
    int64_t ld = 0;
    const float* vb = block(t.v, j0, nb, &ld);
    for (int64_t tok = 0; tok < t.n_tokens; ++tok) {
      const int64_t nk = keys_of(tok, j0, nb);
      if (nk <= 0) continue;
      for (int64_t h = 0; h < nh; ++h) {
        kern.pv(scores + (tok * nh + h) * n_keys + j0, vb, ld, nk, hd, t.out + tok * t.ld_out_token + h * hd);
      }
    }
  }
}

}  // namespace tern::kernels
