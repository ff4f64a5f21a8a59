// The forward pass (forward.cpp) over token rows that may belong to several sessions.
#pragma once

#include <cstdint>
#include <span>

#include "model/forward_scratch.h"
#include "model/model_data.h"
#include "model/session_state.h"
#include "runtime/thread_pool.h"

namespace tern::model {

// A run of n consecutive token rows of one session, at positions s->n_past .. + n - 1:
// the forward pass reads the session's RoPE tables and hook, writes its KV cache and
// advances its n_past.
struct RowRun {
  SessionState* s = nullptr;
  int64_t n = 0;
};

// One forward pass over the rows of several sessions on `pool`: the runs' ids are
// consecutive in `ids`, their rows consecutive in `b` (total rows <= b.rows). Every
// BitLinear and the lm_head run once over all rows (the weights are read once); RoPE, the
// KV cache and attention use each row's own session. Logits: with all_logits every row's
// (rows x n_vocab), else the last row of each run (runs x n_vocab), or nothing if logits is
// null.
void forward_rows(const ModelData& m, ThreadPool& pool, ForwardScratch& b, std::span<const RowRun> runs,
                  const int32_t* ids, float* logits, bool all_logits);

}  // namespace tern::model
