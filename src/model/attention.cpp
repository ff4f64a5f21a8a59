// Causal GQA attention over the session's KV cache (see attention.h).
#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/float_ops.h"
#include "model/ops.h"

namespace tern::model {

uint8_t* kv_at(const OwnedBuffer& cache, const SessionState& s, int64_t layer, int64_t pos) {
  return cache.data.get() +
         (static_cast<uint64_t>(layer) * s.layer_stride + static_cast<uint64_t>(pos * s.kv_dim)) * s.kv_elem_bytes;
}

void store_kv_row(const SessionState& s, uint8_t* dst, const float* src) {
  if (s.kv_type == KvType::F32) {
    std::memcpy(dst, src, static_cast<size_t>(s.kv_dim) * sizeof(float));
  } else {
    kernels::f32_to_f16_row(src, reinterpret_cast<uint16_t*>(dst), s.kv_dim);
  }
}

namespace {

// One query head against positions 0..pos of its KV head: scores, softmax, weighted sum.
void attend_head(const SessionState& s, int64_t layer, int64_t pos, const float* q, int64_t kv_head,
                 float* scores, float* out) {
  const int64_t hd = s.m.hp.head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const uint64_t off = static_cast<uint64_t>(kv_head * hd);
  for (int64_t j = 0; j <= pos; ++j) {
    float d;
    if (s.kv_type == KvType::F32) {
      d = ops::dot(q, reinterpret_cast<const float*>(kv_at(s.k_cache, s, layer, j)) + off, hd);
    } else {
      const uint16_t* kh = reinterpret_cast<const uint16_t*>(kv_at(s.k_cache, s, layer, j)) + off;
      float kf[512];
      kernels::f16_to_f32_row(kh, kf, hd);
      d = ops::dot(q, kf, hd);
    }
    scores[j] = d * scale;
  }
  kernels::softmax(scores, pos + 1);
  std::fill(out, out + hd, 0.0f);
  for (int64_t j = 0; j <= pos; ++j) {
    const float p = scores[j];
    if (s.kv_type == KvType::F32) {
      const float* vj = reinterpret_cast<const float*>(kv_at(s.v_cache, s, layer, j)) + off;
      for (int64_t i = 0; i < hd; ++i) out[i] += p * vj[i];
    } else {
      const uint16_t* vj = reinterpret_cast<const uint16_t*>(kv_at(s.v_cache, s, layer, j)) + off;
      float vf[512];
      kernels::f16_to_f32_row(vj, vf, hd);
      for (int64_t i = 0; i < hd; ++i) out[i] += p * vf[i];
    }
  }
}

}  // namespace

void attention(SessionState& s, int64_t layer, int64_t p0, int64_t n) {
  const ModelHParams& hp = s.m.hp;
  const int64_t group = hp.n_head / hp.n_head_kv;
  const int64_t n_tasks = n * hp.n_head;
  const int64_t parts = s.pool.size();
  s.pool.parallel_for(parts, [&](int64_t part) {
    const RowRange r = split_rows(n_tasks, parts, part, 1);
    float* scores = s.scores.data() + part * s.n_ctx;
    for (int64_t task = r.begin; task < r.end; ++task) {
      const int64_t t = task / hp.n_head, h = task % hp.n_head;
      attend_head(s, layer, p0 + t, s.q.data() + t * s.q_dim + h * hp.head_dim, h / group, scores,
                  s.att.data() + t * s.q_dim + h * hp.head_dim);
    }
  });
}

}  // namespace tern::model
