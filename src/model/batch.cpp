// tern::BatchDecoder: the shared scratch and thread pool of a batched decode step; the
// forward pass itself is forward_rows (forward.cpp), the same code a single Session runs.
#include "tern/batch.h"

#include <string>
#include <vector>

#include "model/session_state.h"
#include "tern/error.h"

namespace tern {

namespace model {

struct BatchState : ForwardScratch {
  BatchState(const ModelData& m, int64_t max_batch, int n_threads) : pool(n_threads) {
    allocate_scratch(m.hp, max_batch);
    logits.resize(static_cast<size_t>(max_batch * m.hp.n_vocab));
    runs.reserve(static_cast<size_t>(max_batch));
  }
  ThreadPool pool;
  std::vector<float> logits;  // [max_batch, n_vocab]
  std::vector<RowRun> runs;   // one row per session, rebuilt every step (capacity kept)
};

}  // namespace model

BatchDecoder::BatchDecoder(std::shared_ptr<const Model> model, int64_t max_batch, int n_threads)
    : model_(std::move(model)) {
  if (!model_) throw Error("BatchDecoder: no model");
  if (max_batch < 1 || max_batch > 256) {
    throw Error("BatchDecoder: max_batch " + std::to_string(max_batch) + " is outside 1..256");
  }
  state_ = std::make_unique<model::BatchState>(model_->data(), max_batch, n_threads);
}

BatchDecoder::~BatchDecoder() = default;

int64_t BatchDecoder::max_batch() const { return state_->scratch_rows; }
int BatchDecoder::n_threads() const { return state_->pool.size(); }

std::span<const float> BatchDecoder::decode(std::span<Session* const> sessions, std::span<const int32_t> ids) {
  model::BatchState& b = *state_;
  const int64_t n = static_cast<int64_t>(sessions.size());
  const int64_t V = model_->hparams().n_vocab;
  if (static_cast<int64_t>(ids.size()) != n) {
    throw Error("decode: " + std::to_string(n) + " sessions but " + std::to_string(ids.size()) + " token ids");
  }
  if (n == 0) throw Error("decode: no sessions given");
  if (n > b.scratch_rows) {
    throw Error("decode: " + std::to_string(n) + " sessions exceed max_batch " + std::to_string(b.scratch_rows));
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
  model::forward_rows(model_->data(), b.pool, b, b.runs, ids.data(), b.logits.data(), /*all_logits=*/false);
  return std::span<const float>(b.logits.data(), static_cast<size_t>(n * V));
}

}  // namespace tern
