// Attention and the KV cache of one session: where K/V rows live, how they are stored
// (f32 or f16 bits), and causal GQA attention of a run of query rows over the cache.
#pragma once

#include <cstdint>

#include "model/session_state.h"

namespace tern::model {

// Pointer to K or V of `layer` at `pos` (kv_dim elements of kv_elem_bytes each).
uint8_t* kv_at(const OwnedBuffer& cache, const SessionState& s, int64_t layer, int64_t pos);

// Stores one row of kv_dim floats (f32 as is, or rounded to f16 for the f16 cache).
void store_kv_row(const SessionState& s, uint8_t* dst, const float* src);

// Causal GQA attention of n query rows at positions p0..p0+n-1 (s.q, q_dim apart) over the
// cache of `layer`, which already holds their keys and values; writes s.att. Query head h
// reads KV head h / (n_head / n_head_kv). Splits (token, head) over s.pool.
void attention(SessionState& s, int64_t layer, int64_t p0, int64_t n);

}  // namespace tern::model
