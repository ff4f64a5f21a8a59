// Everything a Session owns, allocated once in the constructor (llama2.c's RunState):
// the KV cache, RoPE tables, per-batch scratch, the thread pool. The per-batch scratch is
// its own struct (ForwardScratch) so that a BatchDecoder (src/model/batch.cpp) can own
// one shared by the rows of several sessions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/bitlinear.h"
#include "model/model_data.h"
#include "runtime/thread_pool.h"
#include "tern/session.h"

namespace tern::model {

// Activations of one forward pass over up to `rows` token rows (any mix of sessions).
struct ForwardScratch {
  // Sizes every buffer for `rows` token rows of a model of shape hp.
  void allocate_scratch(const ModelHParams& hp, int64_t rows);

  int64_t scratch_rows = 0;
  std::vector<float> x;     // residual stream [rows, n_embd]
  std::vector<float> xn;    // normed input of a sub-block [rows, max(n_embd, q_dim)]
  std::vector<float> q, k, v;
  std::vector<float> att;   // attention output [rows, q_dim]
  std::vector<float> proj;  // o_proj / down_proj output [rows, n_embd]
  std::vector<float> gate, up;  // [rows, n_ff]
  std::vector<int32_t> y;   // int32 matmul results [rows, q_dim + 2 kv_dim or 2 n_ff]
  OwnedBuffer q8;           // int8 activations [rows, kp_max]
  std::vector<float> act_scale;
  QuantizedInput qin;
};

struct SessionState : ForwardScratch {
  SessionState(const ModelData& model, const SessionOptions& options);

  const ModelData& m;
  ThreadPool pool;
  KvType kv_type;
  int64_t n_ctx;
  int64_t n_batch;  // == scratch_rows
  int64_t q_dim, kv_dim;

  // KV cache: [layer][position][kv_dim], float or f16 bits.
  OwnedBuffer k_cache, v_cache;
  uint64_t kv_elem_bytes;
  uint64_t layer_stride;  // elements per layer = n_ctx * kv_dim

  // RoPE: rows of width head_dim per position p (float32, as HF: [cos a, cos a]).
  std::vector<float> rope_cos, rope_sin;

  std::vector<float> logits;  // [n_vocab] (grows for eval_all)

  int64_t n_past = 0;
  HiddenHook hook;
};

// A run of n consecutive token rows of one session, at positions s->n_past .. + n - 1.
struct RowRun {
  SessionState* s = nullptr;
  int64_t n = 0;
};

// One forward pass over the rows of several sessions: the runs' ids are consecutive in
// `ids`, their rows consecutive in `b` (total rows <= b.scratch_rows). Every BitLinear and
// the lm_head run once over all rows (the weights are read once); RoPE, the KV cache and
// attention use each row's own session. Advances every run's n_past. Logits: with
// all_logits every row's (rows x n_vocab), else the last row of each run (runs x n_vocab),
// or nothing if logits is null. `b` may be the scratch of the (single) run's own session.
void forward_rows(const ModelData& m, ThreadPool& pool, ForwardScratch& b, std::span<const RowRun> runs,
                  const int32_t* ids, float* logits, bool all_logits);

// One session: evaluates ids[0..n) (n <= n_batch) at positions n_past.. in its own scratch.
// Writes the logits of every position to `logits` (n x n_vocab) if all_logits, else of the
// last position only (n_vocab), else nothing if logits is null.
void forward_batch(SessionState& s, const int32_t* ids, int64_t n, float* logits, bool all_logits);

}  // namespace tern::model
