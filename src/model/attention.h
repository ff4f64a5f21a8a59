// Causal GQA attention of a run of query rows over one session's KV cache.
#pragma once

#include <cstdint>

#include "model/kv_cache.h"
#include "model/model_data.h"
#include "runtime/thread_pool.h"

namespace tern::model {

// n query rows at positions p0..p0+n-1 (q: n x q_dim floats, q_dim = n_head * head_dim)
// attend over `layer` of `kv`, which already holds their keys and values; writes out
// (n x q_dim). Query head h reads KV head h / (n_head / n_head_kv). Splits (token, head)
// tiles over `pool`, each computed by `kern` (the model's backend attention entry).
void attention(const kernels::AttentionKernels& kern, const ModelHParams& hp, const KvCache& kv, int64_t layer,
               int64_t p0, int64_t n, const float* q, float* out, ThreadPool& pool);

}  // namespace tern::model
