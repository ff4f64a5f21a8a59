// tern::BatchDecoder: continuous batching. One decode step for several Sessions at once:
// every session contributes one token row, the rows go through every BitLinear and the
// lm_head together (one GEMM each, so the weights are read once per step for all of them),
// and each row attends over its own session's KV cache at its own position.
//
//   auto pool = tern::make_thread_pool(2);             // one set of threads for all
//   tern::Session a(model, {.pool = pool}), b(model, {.pool = pool}), c(model, {.pool = pool});
//   tern::BatchDecoder dec(model, /*max_batch=*/8, pool);
//   std::vector<tern::Session*> live = {&a, &b, &c};   // any positions, any lengths
//   std::vector<int32_t> next = {ta, tb, tc};
//   auto logits = dec.decode(live, next);              // 3 x n_vocab; row i for live[i]
//
// prefill is the same step with several rows per session (new prompts of several requests
// in one pass through the weights):
//
//   tern::BatchDecoder dec(model, /*max_batch=*/8, pool, /*max_rows=*/64);
//   tern::PrefillRun runs[] = {{&a, prompt_a}, {&b, prompt_b}};  // any lengths, <= 64 rows in all
//   auto last = dec.prefill(runs);                   // 2 x n_vocab: each prompt's last position
//
// A row's logits are bit-identical to those of the same token evaluated alone with
// Session::eval (the integer GEMM rows equal the GEMV dot products and every float step is
// per row; attention runs per session over its own cache). Scratch for max(max_batch,
// max_rows) rows is allocated once; decode and prefill allocate nothing. Not thread-safe,
// and the sessions must not be used by another thread during a step.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "tern/model.h"
#include "tern/session.h"

namespace tern {

namespace model {
struct BatchState;  // src/model/batch.cpp
}

// Tokens to evaluate in one session, at positions session->n_past() onwards.
struct PrefillRun {
  Session* session = nullptr;
  std::span<const int32_t> ids;
};

class BatchDecoder {
 public:
  // max_batch: most sessions per decode (1..256). The step (GEMMs, attention, lm_head) runs
  // on `pool`, best the one the sessions share (make_thread_pool, SessionOptions::pool), or
  // on a pool of its own of n_threads (0 = all hardware threads). max_rows: most token rows
  // of one prefill step (all sessions together; 0 = max_batch, at most 65536).
  BatchDecoder(std::shared_ptr<const Model> model, int64_t max_batch, std::shared_ptr<ThreadPool> pool,
               int64_t max_rows = 0);
  BatchDecoder(std::shared_ptr<const Model> model, int64_t max_batch, int n_threads = 0);
  ~BatchDecoder();
  BatchDecoder(const BatchDecoder&) = delete;
  BatchDecoder& operator=(const BatchDecoder&) = delete;

  // Evaluates ids[i] in sessions[i] at position sessions[i]->n_past() (which then advances
  // by one) and returns the logits: sessions.size() x n_vocab, row-major, valid until the
  // next call. Throws tern::Error (and evaluates nothing) if the sizes differ, there are
  // more than max_batch sessions, a session appears twice, belongs to another model, has
  // a full context, or an id is outside the vocabulary.
  std::span<const float> decode(std::span<Session* const> sessions, std::span<const int32_t> ids);

  // Evaluates runs[i].ids in runs[i].session at positions n_past() .. n_past() + n - 1
  // (n_past then advances by n), all runs' rows in one forward pass, and returns the logits
  // of each run's LAST token: runs.size() x n_vocab, row-major, valid until the next call.
  // Each is bit-identical to what Session::eval of the same ids returns. Throws tern::Error
  // (and evaluates nothing) if there are no runs or more than max_batch, a run is empty, the
  // rows exceed max_rows, a session appears twice, belongs to another model, or has no room
  // for its ids, or an id is outside the vocabulary.
  std::span<const float> prefill(std::span<const PrefillRun> runs);

  // Makes resident now every page that serving `sessions` through this decoder will use,
  // so that a server's memory does not grow under load (RSS after a load test == before):
  // writes each session's whole KV cache and its and this decoder's int8 activation
  // buffers (allocated but untouched until now), then runs throwaway passes — a 2-token
  // prefill per session on its pool, one batched step over all of them — which fault
  // in the weights, the lm_head and the threads' stacks and thread-local kernel buffers; and
  // a batched prefill of max_rows rows spread over the sessions (the largest GEMM served).
  // Leaves every session reset (n_past 0). Returns the bytes written (KV caches + buffers).
  // Same preconditions as decode (at most max_batch distinct sessions of this model).
  uint64_t reserve(std::span<Session* const> sessions);

  // Bytes of this decoder's own scratch (activations and logits for max_batch rows).
  uint64_t scratch_bytes() const;

  int64_t max_batch() const;
  int64_t max_rows() const;
  int n_threads() const;

 private:
  std::shared_ptr<const Model> model_;
  std::unique_ptr<model::BatchState> state_;
};

}  // namespace tern
