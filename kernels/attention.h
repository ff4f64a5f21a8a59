// Causal attention of one tile: a run of consecutive query tokens times the query heads that
// share one KV head (GQA), over a K/V cache stored as f32 or f16 rows.
//
// Numerics are those of the float32 reference, and identical bit for bit in every
// implementation (scalar, xsimd baseline, AVX2): per query row,
//   score_j = dot(q, k_j) * scale        dot: 8 lane sums (lane l takes elements i = l mod 8,
//                                         ascending; tail elements go to lane 0), then
//                                         ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)); mul then add
//   p = softmax(score_0..pos)            kernels::softmax (float32, max-subtracted)
//   out_i = sum_j p_j * v_j[i]           j ascending from 0.0f, one product then one add
// f16 K/V rows are converted to float exactly. So a row's result never depends on the tile
// it is in, the thread that runs it or the implementation chosen (decode == prefill).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tern::kernels {

struct ImplCounter;  // impl_counter.h

// The inner loops, per implementation (the backend's "attention" entry, backend.h).
struct AttentionKernels {
  const char* name;
  // scores[j] = dot(q, k + j * ldk) * scale for j < n_keys (dot as above, hd elements).
  void (*qk)(const float* q, const float* k, int64_t ldk, int64_t n_keys, int64_t hd, float scale, float* scores);
  // out[i] += p[j] * v[j * ldv + i] for j = 0..n_keys-1 in order, i < hd.
  void (*pv)(const float* p, const float* v, int64_t ldv, int64_t n_keys, int64_t hd, float* out);
  // dst[r * hd + i] = float(src[r * ld_src + i]) (IEEE half, exact), r < n_rows, i < hd.
  void (*f16_rows)(const uint16_t* src, int64_t ld_src, int64_t n_rows, int64_t hd, float* dst);
  // Bumped once per tile attend_tile runs with these loops.
  ImplCounter* calls;
};

// One tile. Query row r = t * n_heads + h (token t < n_tokens, head h < n_heads) is
// q + t * ld_q_token + h * head_dim; token t sits at position pos0 + t and attends keys
// 0..pos0+t. Key j of the KV head is k + j * ld_kv elements (f32 or f16 bits), likewise v;
// the cache must hold keys 0..pos0+n_tokens-1. Output row r goes to
// out + t * ld_out_token + h * head_dim.
struct AttentionTile {
  const float* q = nullptr;
  int64_t ld_q_token = 0;
  int64_t n_tokens = 0;
  int64_t pos0 = 0;
  int64_t n_heads = 0;
  const void* k = nullptr;
  const void* v = nullptr;
  int64_t ld_kv = 0;
  bool f16 = false;
  int64_t head_dim = 0;
  float scale = 1.0f;
  float* out = nullptr;
  int64_t ld_out_token = 0;
};

// Keys converted / visited per block (a block of K or V stays in L1 while every row of the
// tile uses it).
constexpr int64_t kAttentionKeyBlock = 32;

// Floats of scratch attend_tile needs for rows = n_tokens * n_heads query rows whose last
// position is n_keys - 1.
size_t attention_scratch_floats(int64_t rows, int64_t n_keys, int64_t head_dim);

// Computes the tile with `kern` (a Backend's attention entry); scratch holds
// attention_scratch_floats(...) floats.
void attend_tile(const AttentionKernels& kern, const AttentionTile& tile, float* scratch);

}  // namespace tern::kernels
