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
  // Calls visit(tok, h, j0, rows, ld, nk) for every key block [j0, j0 + nb) of `src` (K or V,
  // converted once) and every (token, head) that attends nk > 0 of the block's keys.
  const auto for_each_block = [&](const void* src, const auto& visit) {
    for (int64_t j0 = 0; j0 < n_keys; j0 += kAttentionKeyBlock) {
      const int64_t nb = std::min(kAttentionKeyBlock, n_keys - j0);
      int64_t ld = 0;
      const float* rows = block(src, j0, nb, &ld);
      for (int64_t tok = 0; tok < t.n_tokens; ++tok) {
        const int64_t nk = std::min(j0 + nb, t.pos0 + tok + 1) - j0;
        if (nk <= 0) continue;
        for (int64_t h = 0; h < nh; ++h) visit(tok, h, j0, rows, ld, nk);
      }
    }
  };
  const auto scores_of = [&](int64_t tok, int64_t h) { return scores + (tok * nh + h) * n_keys; };
  const auto out_of = [&](int64_t tok, int64_t h) { return t.out + tok * t.ld_out_token + h * hd; };

  for_each_block(t.k, [&](int64_t tok, int64_t h, int64_t j0, const float* kb, int64_t ld, int64_t nk) {
    kern.qk(t.q + tok * t.ld_q_token + h * hd, kb, ld, nk, hd, t.scale, scores_of(tok, h) + j0);
  });
  for (int64_t tok = 0; tok < t.n_tokens; ++tok) {
    for (int64_t h = 0; h < nh; ++h) {
      softmax(scores_of(tok, h), t.pos0 + tok + 1);
      std::fill(out_of(tok, h), out_of(tok, h) + hd, 0.0f);
    }
  }
  for_each_block(t.v, [&](int64_t tok, int64_t h, int64_t j0, const float* vb, int64_t ld, int64_t nk) {
    kern.pv(scores_of(tok, h) + j0, vb, ld, nk, hd, out_of(tok, h));
  });
}

}  // namespace tern::kernels
