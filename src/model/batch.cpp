// tern::BatchDecoder: the scratch of a batched decode step, run on a borrowed (or own) thread
// pool; the forward pass itself is forward_rows (forward.cpp), the same code a single
// Session runs.
#include "tern/batch.h"

#include <algorithm>
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
  BatchState(const ModelData& m, int64_t max_batch_, int64_t max_rows_, std::shared_ptr<ThreadPool> pool_)
      : pool(std::move(pool_)),
        max_batch(max_batch_),
        max_rows(max_rows_),
        scratch(m.hp, std::max(max_batch, max_rows)),
        logits(static_cast<size_t>(max_batch * m.hp.n_vocab)) {
    runs.reserve(static_cast<size_t>(max_batch));
    ids.reserve(static_cast<size_t>(scratch.rows));
  }
  std::shared_ptr<ThreadPool> pool;
  int64_t max_batch;          // sessions per step
  int64_t max_rows;           // token rows of a prefill step
  ForwardScratch scratch;     // max(max_batch, max_rows) rows
  std::vector<float> logits;  // [max_batch, n_vocab]: one row per session (its last position)
  std::vector<RowRun> runs;   // one run per session, rebuilt every step (capacity kept)
  std::vector<int32_t> ids;   // a prefill step's ids, run after run (capacity kept)
};

}  // namespace model

BatchDecoder::BatchDecoder(std::shared_ptr<const Model> model, int64_t max_batch, int n_threads)
    : BatchDecoder(std::move(model), max_batch, make_thread_pool(n_threads)) {}

BatchDecoder::BatchDecoder(std::shared_ptr<const Model> model, int64_t max_batch, std::shared_ptr<ThreadPool> pool,
                           int64_t max_rows)
    : model_(std::move(model)) {
  if (!model_) throw Error("BatchDecoder: no model");
  if (!pool) throw Error("BatchDecoder: no thread pool");
  if (max_batch < 1 || max_batch > 256) {
    throw Error("BatchDecoder: max_batch " + std::to_string(max_batch) + " is outside 1..256");
  }
  if (max_rows < 0 || max_rows > 65536) {
    throw Error("BatchDecoder: max_rows " + std::to_string(max_rows) + " is outside 0..65536");
  }
  state_ = std::make_unique<model::BatchState>(model_->data(), max_batch, max_rows > 0 ? max_rows : max_batch,
                                               std::move(pool));
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
    // The largest prefill step: max_rows rows shared out over the sessions, as far as their
    // contexts hold them (the kernels' per-thread buffers grow with a GEMM's token count).
    for (Session* s : sessions) s->reset();
    const int64_t n = static_cast<int64_t>(sessions.size());
    const std::vector<int32_t> zeros(static_cast<size_t>(b.max_rows), 0);
    std::vector<PrefillRun> runs;
    int64_t left = b.max_rows;
    for (int64_t i = 0; i < n && left > 0; ++i) {
      Session* s = sessions[static_cast<size_t>(i)];
      const int64_t share = std::min({(left + (n - i) - 1) / (n - i), s->n_ctx(), left});
      runs.push_back({s, std::span<const int32_t>(zeros.data(), static_cast<size_t>(share))});
      left -= share;
    }
    prefill(runs);
  }
  for (Session* s : sessions) s->reset();
  return bytes;
}

uint64_t BatchDecoder::scratch_bytes() const {
  const model::BatchState& b = *state_;
  return b.scratch.bytes() + b.logits.size() * sizeof(float);
}

int64_t BatchDecoder::max_batch() const { return state_->max_batch; }
int64_t BatchDecoder::max_rows() const { return state_->max_rows; }
int BatchDecoder::n_threads() const { return state_->pool->size(); }

std::span<const float> BatchDecoder::decode(std::span<Session* const> sessions, std::span<const int32_t> ids) {
  model::BatchState& b = *state_;
  const int64_t n = static_cast<int64_t>(sessions.size());
  const int64_t V = model_->hparams().n_vocab;
  if (static_cast<int64_t>(ids.size()) != n) {
    throw Error("decode: " + std::to_string(n) + " sessions but " + std::to_string(ids.size()) + " token ids");
  }
  if (n == 0) throw Error("decode: no sessions given");
  if (n > b.max_batch) {
    throw Error("decode: " + std::to_string(n) + " sessions exceed max_batch " + std::to_string(b.max_batch));
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

std::span<const float> BatchDecoder::prefill(std::span<const PrefillRun> runs) {
  model::BatchState& b = *state_;
  const int64_t n = static_cast<int64_t>(runs.size());
  const int64_t V = model_->hparams().n_vocab;
  if (n == 0) throw Error("prefill: no runs given");
  if (n > b.max_batch) {
    throw Error("prefill: " + std::to_string(n) + " sessions exceed max_batch " + std::to_string(b.max_batch));
  }
  int64_t rows = 0;
  for (int64_t i = 0; i < n; ++i) {
    const PrefillRun& r = runs[static_cast<size_t>(i)];
    const std::string at = "prefill: run " + std::to_string(i);
    if (r.session == nullptr) throw Error(at + ": the session is null");
    if (&r.session->model() != model_.get()) throw Error(at + ": the session belongs to another model");
    const int64_t k = static_cast<int64_t>(r.ids.size());
    if (k == 0) throw Error(at + ": no token ids");
    if (r.session->n_past() + k > r.session->n_ctx()) {
      throw Error(at + ": " + std::to_string(r.session->n_past()) + " tokens evaluated + " + std::to_string(k) +
                  " new exceed the context length " + std::to_string(r.session->n_ctx()));
    }
    for (size_t t = 0; t < r.ids.size(); ++t) {
      if (r.ids[t] < 0 || r.ids[t] >= V) {
        throw Error(at + ": token id " + std::to_string(r.ids[t]) + " at index " + std::to_string(t) +
                    " is outside the vocabulary (0.." + std::to_string(V - 1) + ")");
      }
    }
    for (int64_t j = 0; j < i; ++j) {
      if (runs[static_cast<size_t>(j)].session == r.session) {
        throw Error(at + ": the same session as run " + std::to_string(j));
      }
    }
    rows += k;
  }
  if (rows > b.max_rows) {
    throw Error("prefill: " + std::to_string(rows) + " token rows exceed max_rows " + std::to_string(b.max_rows));
  }
  b.runs.clear();
  b.ids.clear();
  for (const PrefillRun& r : runs) {
    b.runs.push_back({r.session->state_.get(), static_cast<int64_t>(r.ids.size())});
    b.ids.insert(b.ids.end(), r.ids.begin(), r.ids.end());
  }
  model::forward_rows(model_->data(), *b.pool, b.scratch, b.runs, b.ids.data(), b.logits.data(),
                      /*all_logits=*/false);
  return std::span<const float>(b.logits.data(), static_cast<size_t>(n * V));
}

}  // namespace tern
