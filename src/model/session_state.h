// Everything a Session owns, allocated once in the constructor (llama2.c's RunState):
// the KV cache, RoPE tables, per-batch scratch, the thread pool.
#pragma once

#include <cstdint>
#include <vector>

#include "model/bitlinear.h"
#include "model/model_data.h"
#include "runtime/thread_pool.h"
#include "tern/session.h"

namespace tern::model {

struct SessionState {
  SessionState(const ModelData& model, const SessionOptions& options);

  const ModelData& m;
  ThreadPool pool;
  KvType kv_type;
  int64_t n_ctx;
  int64_t n_batch;
  int64_t q_dim, kv_dim;

  // KV cache: [layer][position][kv_dim], float or f16 bits.
  OwnedBuffer k_cache, v_cache;
  uint64_t kv_elem_bytes;
  uint64_t layer_stride;  // elements per layer = n_ctx * kv_dim

  // RoPE: rows of width head_dim per position p (float32, as HF: [cos a, cos a]).
  std::vector<float> rope_cos, rope_sin;

  // Per-batch scratch, n_batch rows each.
  std::vector<float> x;     // residual stream [n_batch, n_embd]
  std::vector<float> xn;    // normed input of a sub-block [n_batch, max(n_embd, q_dim)]
  std::vector<float> q, k, v;
  std::vector<float> att;   // attention output [n_batch, q_dim]
  std::vector<float> proj;  // o_proj / down_proj output [n_batch, n_embd]
  std::vector<float> gate, up;  // [n_batch, n_ff]
  std::vector<int32_t> y;   // int32 matmul results [n_batch, q_dim + 2 kv_dim or 2 n_ff]
  OwnedBuffer q8;           // int8 activations [n_batch, kp_max]
  std::vector<float> act_scale;
  QuantizedInput qin;
  std::vector<float> scores;  // attention scores, n_ctx per thread
  std::vector<float> logits;  // [n_vocab] (grows for eval_all)

  int64_t n_past = 0;
  HiddenHook hook;
};

// Evaluates ids[0..n) (n <= n_batch) at positions n_past.. and advances n_past. Writes the
// logits of every position to `logits` (n x n_vocab) if all_logits, else of the last
// position only (n_vocab), else nothing if logits is null.
void forward_batch(SessionState& s, const int32_t* ids, int64_t n, float* logits, bool all_logits);

}  // namespace tern::model
