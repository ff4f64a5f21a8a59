// tern::BatchDecoder: the scratch of a batched decode step, run on a borrowed (or own) thread
// pool; the forward pass itself is forward_rows (forward.cpp), the same code a single
// Session runs.
#include "tern/batch.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "model/forward.h"
#include "model/session_state.h"
#include "runtime/thread_pool.h"
#include "tern/error.h"

namespace tern {

namespace model {

struct BatchState {
  BatchState(const ModelData& m, int64_t max_batch, std::shared_ptr<ThreadPool> pool_)
      : pool(std::move(pool_)), scratch(m.hp, max_batch), logits(static_cast<size_t>(max_batch * m.hp.n_vocab)) {
    runs.reserve(static_cast<size_t>(max_batch));
  }
  std::shared_ptr<ThreadPool> pool;
  ForwardScratch scratch;     // max_batch rows
  std::vector<float> logits;  // [max_batch, n_vocab]
  std::vector<RowRun> runs;   // one row per session, rebuilt every step (capacity kept)
};

}  // namespace model

BatchDecoder::BatchDecoder(std::shared_ptr<const Model> model, int64_t max_batch, int n_threads)
    : BatchDecoder(std::move(model), max_batch, make_thread_pool(n_threads)) {}

BatchDecoder::BatchDecoder(std::shared_ptr<const Model> model, int64_t max_batch, std::shared_ptr<ThreadPool> pool)
    : model_(std::move(model)) {
  if (!model_) throw Error("BatchDecoder: no model");
  if (!pool) throw Error("BatchDecoder: no thread pool");
  if (max_batch < 1 || max_batch > 256) {
    throw Error("BatchDecoder: max_batch " + std::to_string(max_batch) + " is outside 1..256");
  }
  state_ = std::make_unique<model::BatchState>(model_->data(), max_batch, std::move(pool));
}

BatchDecoder::~BatchDecoder() = default;

uint64_t BatchDecoder::reserve(std::span<Session* const> sessions) {
  model::BatchState& b = *state_;
  const auto touch = [](model::OwnedBuffer& buf) {
    if (buf.data) std::memset(buf.data.get(), 0, static_cast<size_t>(buf.size));
    return buf.size;
  };
  uint64_t bytes = touch(b.scratch.q8);
  for (Session* s : sessions) {
    if (s == nullptr) throw Error("reserve: null session");
    model::SessionState& st = *s->state_;
    bytes += touch(st.kv.k) + touch(st.kv.v) + touch(st.scratch.q8);
  }
  // Throwaway passes on token 0 (any valid id): a 2-token prefill takes the kernels' GEMM
  // path on each session's pool, the batched step the decode path on this decoder's pool
  // (the same pool when they share one, as in tern serve).
  const int32_t two[2] = {0, 0};
  bool room = !sessions.empty();
  for (Session* s : sessions) {
    s->reset();
    room = room && s->n_ctx() >= 3;
  }
  if (room) {
    for (Session* s : sessions) s->eval(std::span<const int32_t>(two, 2));
    const std::vector<int32_t> ids(sessions.size(), 0);
    decode(sessions, ids);
  }
  for (Session* s : sessions) s->reset();
  return bytes;
}

uint64_t BatchDecoder::scratch_bytes() const {
  const model::BatchState& b = *state_;
  return b.scratch.bytes() + b.logits.size() * sizeof(float);
}

int64_t BatchDecoder::max_batch() const { return state_->scratch.rows; }
int BatchDecoder::n_threads() const { return state_->pool->size(); }

std::span<const float> BatchDecoder::decode(std::span<Session* const> sessions, std::span<const int32_t> ids) {
  model::BatchState& b = *state_;
  const int64_t n = static_cast<int64_t>(sessions.size());
  const int64_t V = model_->hparams().n_vocab;
  if (static_cast<int64_t>(ids.size()) != n) {
    throw Error("decode: " + std::to_string(n) + " sessions but " + std::to_string(ids.size()) + " token ids");
  }
  if (n == 0) throw Error("decode: no sessions given");
  if (n > b.scratch.rows) {
    throw Error("decode: " + std::to_string(n) + " sessions exceed max_batch " + std::to_string(b.scratch.rows));
  }
  b.runs.clear();
  for (int64_t i = 0; i < n; ++i) {
    Session* s = sessions[static_cast<size_t>(i)];
    const std::string at = "decode: session " + std::to_string(i);
    if (s == nullptr) throw Error(at + " is null");
    if (&s->model() != model_.get()) throw Error(at + " belongs to another model");
    if (s->n_past() >= s->n_ctx()) throw Error(at + ": context full (" + std::to_string(s->n_ctx()) + " tokens)");
    const int32_t id = ids[static_cast<size_t>(i)];
    if (id < 0 || id >= V) {
      throw Error(at + ": token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(V - 1) + ")");
    }
    for (int64_t j = 0; j < i; ++j) {
      if (sessions[static_cast<size_t>(j)] == s) throw Error(at + " is the same session as " + std::to_string(j));
    }
    b.runs.push_back({s->state_.get(), 1});
  }
  model::forward_rows(model_->data(), *b.pool, b.scratch, b.runs, ids.data(), b.logits.data(), /*all_logits=*/false);
  return std::span<const float>(b.logits.data(), static_cast<size_t>(n * V));
}

}  // namespace tern
