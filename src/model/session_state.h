// What a Session owns (llama2.c's RunState, split by job): its KV cache, its RoPE tables,
// its prefill scratch and its logits; the thread pool is borrowed (SessionOptions::pool,
// shared with other sessions and a BatchDecoder) or, when none is given, its own.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/forward_scratch.h"
#include "model/kv_cache.h"
#include "model/model_data.h"
#include "runtime/thread_pool.h"
#include "tern/session.h"

namespace tern::model {

// RoPE rows of width head_dim for positions 0..n_ctx-1, float32 as HF computes them
// ([cos a, cos a] / [sin a, sin a]; kernels::rope_tables).
struct RopeTables {
  RopeTables(const ModelData& m, int64_t n_ctx);
  std::vector<float> cos, sin;
  int64_t head_dim;
  const float* cos_row(int64_t pos) const { return cos.data() + pos * head_dim; }
  const float* sin_row(int64_t pos) const { return sin.data() + pos * head_dim; }
};

struct SessionState {
  SessionState(const ModelData& model, const SessionOptions& options);

  const ModelData& m;
  std::shared_ptr<ThreadPool> pool;
  KvCache kv;
  RopeTables rope;
  ForwardScratch scratch;     // one prefill batch: n_batch rows
  std::vector<float> logits;  // [n_vocab] (grows for eval_all)
  int64_t n_past = 0;
  HiddenHook hook;
};

}  // namespace tern::model
