#include "model/kv_cache.h"

#include <cstring>

#include "kernels/float_ops.h"

namespace tern::model {

KvCache::KvCache(const ModelHParams& hp, int64_t n_ctx_, KvType type_)
    : type(type_),
      n_ctx(n_ctx_),
      kv_dim(hp.n_head_kv * hp.head_dim),
      elem_bytes(type_ == KvType::F32 ? 4 : 2),
      layer_stride(static_cast<uint64_t>(n_ctx_) * static_cast<uint64_t>(kv_dim)) {
  const uint64_t bytes = static_cast<uint64_t>(hp.n_layer) * layer_stride * elem_bytes;
  k = allocate_buffer(bytes);
  v = allocate_buffer(bytes);
}

void KvCache::store(int64_t layer, int64_t pos, const float* k_row, const float* v_row) {
  uint8_t* kd = at(k, layer, pos);
  uint8_t* vd = at(v, layer, pos);
  if (type == KvType::F32) {
    std::memcpy(kd, k_row, static_cast<size_t>(kv_dim) * sizeof(float));
    std::memcpy(vd, v_row, static_cast<size_t>(kv_dim) * sizeof(float));
  } else {
    kernels::f32_to_f16_row(k_row, reinterpret_cast<uint16_t*>(kd), kv_dim);
    kernels::f32_to_f16_row(v_row, reinterpret_cast<uint16_t*>(vd), kv_dim);
  }
}

}  // namespace tern::model
