// tern::Session: sizes every buffer once, then feeds ids through forward_rows in batches.
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/float_ops.h"
#include "model/forward.h"
#include "model/session_state.h"
#include "runtime/thread_pool.h"
#include "tern/error.h"
#include "tern/session.h"

namespace tern {

const char* kv_type_name(KvType t) { return t == KvType::F16 ? "f16" : "f32"; }

std::shared_ptr<ThreadPool> make_thread_pool(int n_threads) { return std::make_shared<ThreadPool>(n_threads); }

namespace model {

namespace {

std::shared_ptr<ThreadPool> borrowed_or_own_pool(const SessionOptions& o) {
  if (!o.pool) return std::make_shared<ThreadPool>(o.n_threads);
  if (o.n_threads != 0 && o.n_threads != o.pool->size()) {
    throw Error("SessionOptions: n_threads " + std::to_string(o.n_threads) + " differs from the shared pool's " +
                std::to_string(o.pool->size()) + " threads (give one or the other)");
  }
  return o.pool;
}

int64_t checked_n_ctx(const ModelData& m, const SessionOptions& o) {
  const int64_t n_ctx = o.n_ctx > 0 ? o.n_ctx : m.hp.n_ctx_train;
  if (m.hp.head_dim > 512) throw Error(m.path + ": head dimension " + std::to_string(m.hp.head_dim) + " > 512 is not supported");
  if (n_ctx > (int64_t{1} << 24)) throw Error("context length " + std::to_string(n_ctx) + " is too large");
  return n_ctx;
}

}  // namespace

RopeTables::RopeTables(const ModelData& m, int64_t n_ctx)
    : cos(static_cast<size_t>(n_ctx * m.hp.head_dim)),
      sin(static_cast<size_t>(n_ctx * m.hp.head_dim)),
      head_dim(m.hp.head_dim) {
  kernels::rope_tables(head_dim, m.rope_inv_freq.data(), n_ctx, cos.data(), sin.data());
}

SessionState::SessionState(const ModelData& model, const SessionOptions& o)
    : m(model),
      pool(borrowed_or_own_pool(o)),
      kv(model.hp, checked_n_ctx(model, o), o.kv_type),
      rope(model, kv.n_ctx),
      scratch(model.hp, std::max<int64_t>(1, o.n_batch)),
      logits(static_cast<size_t>(model.hp.n_vocab)) {}

}  // namespace model

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options)
    : model_(std::move(model)), options_(options) {
  if (!model_) throw Error("Session: no model");
  state_ = std::make_unique<model::SessionState>(model_->data(), options_);
}

Session::~Session() = default;

int64_t Session::n_past() const { return state_->n_past; }
int64_t Session::n_ctx() const { return state_->kv.n_ctx; }
int64_t Session::n_vocab() const { return model_->hparams().n_vocab; }
int Session::n_threads() const { return state_->pool->size(); }
uint64_t Session::kv_bytes() const { return state_->kv.bytes(); }
uint64_t Session::scratch_bytes() const {
  const model::SessionState& s = *state_;
  return s.scratch.bytes() + (s.logits.size() + s.rope.cos.size() + s.rope.sin.size()) * sizeof(float);
}

void Session::truncate(int64_t n) {
  if (n < 0 || n > state_->n_past) {
    throw Error("truncate: " + std::to_string(n) + " is outside 0.." + std::to_string(state_->n_past) +
                " (the evaluated positions)");
  }
  state_->n_past = n;  // later positions are simply overwritten
}

void Session::set_hidden_hook(HiddenHook hook) { state_->hook = std::move(hook); }

std::span<const float> Session::eval(std::span<const int32_t> ids) { return run(ids, false); }
std::span<const float> Session::eval_all(std::span<const int32_t> ids) { return run(ids, true); }

std::span<const float> Session::run(std::span<const int32_t> ids, bool all_logits) {
  model::SessionState& s = *state_;
  const int64_t n = static_cast<int64_t>(ids.size());
  const int64_t V = model_->hparams().n_vocab;
  if (n == 0) throw Error("eval: no tokens given");
  if (s.n_past + n > s.kv.n_ctx) {
    throw Error("context full: " + std::to_string(s.n_past) + " tokens evaluated + " + std::to_string(n) +
                " new exceed the context length " + std::to_string(s.kv.n_ctx));
  }
  for (int64_t i = 0; i < n; ++i) {
    if (ids[static_cast<size_t>(i)] < 0 || ids[static_cast<size_t>(i)] >= V) {
      throw Error("eval: token id " + std::to_string(ids[static_cast<size_t>(i)]) + " at index " + std::to_string(i) +
                  " is outside the vocabulary (0.." + std::to_string(V - 1) + ")");
    }
  }
  if (all_logits && s.logits.size() < static_cast<size_t>(n * V)) s.logits.resize(static_cast<size_t>(n * V));
  for (int64_t b = 0; b < n; b += s.scratch.rows) {
    const int64_t nb = std::min(s.scratch.rows, n - b);
    const bool last = b + nb == n;
    float* out = nullptr;
    if (all_logits) {
      out = s.logits.data() + b * V;
    } else if (last) {
      out = s.logits.data();
    }
    const model::RowRun one{&s, nb};
    model::forward_rows(s.m, *s.pool, s.scratch, std::span<const model::RowRun>(&one, 1), ids.data() + b, out,
                        all_logits);
  }
  return all_logits ? std::span<const float>(s.logits.data(), static_cast<size_t>(n * V))
                    : std::span<const float>(s.logits.data(), static_cast<size_t>(V));
}

}  // namespace tern
