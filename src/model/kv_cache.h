// The KV cache of one session: K and V rows of every layer at every position, stored as
// f32 or f16 bits. Owned by a Session; the forward pass writes a row per evaluated token and
// attention reads them.
#pragma once

#include <cstdint>

#include "model/model_data.h"
#include "tern/session.h"

namespace tern::model {

struct KvCache {
  // Sizes (does not touch: only the positions used become resident) n_layer x n_ctx rows of
  // kv_dim = n_head_kv * head_dim elements for K and for V.
  KvCache(const ModelHParams& hp, int64_t n_ctx, KvType type);

  KvType type;
  int64_t n_ctx;
  int64_t kv_dim;
  uint64_t elem_bytes;    // 4 (f32) or 2 (f16)
  uint64_t layer_stride;  // elements per layer = n_ctx * kv_dim
  OwnedBuffer k, v;       // [layer][position][kv_dim]

  // K or V of `layer` at `pos` (kv_dim elements of elem_bytes each).
  const uint8_t* k_at(int64_t layer, int64_t pos) const { return at(k, layer, pos); }
  const uint8_t* v_at(int64_t layer, int64_t pos) const { return at(v, layer, pos); }

  // Stores the K and V rows (kv_dim floats each; rounded to f16 for an f16 cache) of `pos`.
  void store(int64_t layer, int64_t pos, const float* k_row, const float* v_row);

  uint64_t bytes() const { return k.size + v.size; }

 private:
  uint8_t* at(const OwnedBuffer& cache, int64_t layer, int64_t pos) const {
    return cache.data.get() +
           (static_cast<uint64_t>(layer) * layer_stride + static_cast<uint64_t>(pos * kv_dim)) * elem_bytes;
  }
};

}  // namespace tern::model
