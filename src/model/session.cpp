// tern::Session: sizes every buffer once, then feeds ids through forward_batch in batches.
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/float_ops.h"
#include "model/session_state.h"
#include "tern/error.h"
#include "tern/session.h"

namespace tern {

const char* kv_type_name(KvType t) { return t == KvType::F16 ? "f16" : "f32"; }

namespace model {

void ForwardScratch::allocate_scratch(const ModelHParams& hp, int64_t rows) {
  const int64_t q_dim = hp.n_head * hp.head_dim, kv_dim = hp.n_head_kv * hp.head_dim;
  scratch_rows = rows;
  const auto sized = [&](int64_t width) { return static_cast<size_t>(rows * width); };
  x.resize(sized(hp.n_embd));
  xn.resize(sized(std::max(hp.n_embd, q_dim)));
  q.resize(sized(q_dim));
  k.resize(sized(kv_dim));
  v.resize(sized(kv_dim));
  att.resize(sized(q_dim));
  proj.resize(sized(hp.n_embd));
  gate.resize(sized(hp.n_ff));
  up.resize(sized(hp.n_ff));
  y.resize(sized(std::max({q_dim + 2 * kv_dim, 2 * hp.n_ff, hp.n_embd})));
  const int64_t kp_max = kernels::t2_padded_k(std::max({hp.n_embd, q_dim, hp.n_ff}));
  q8 = allocate_buffer(static_cast<uint64_t>(rows * kp_max));
  act_scale.resize(static_cast<size_t>(rows));
  qin.q = reinterpret_cast<int8_t*>(q8.data.get());
  qin.scale = act_scale.data();
  // Let the kernel size its per-token buffers once, at the largest input.
  qin.acts.sums.reserve(static_cast<size_t>(rows));
}

SessionState::SessionState(const ModelData& model, const SessionOptions& o)
    : m(model),
      pool(o.n_threads),
      kv_type(o.kv_type),
      n_ctx(o.n_ctx > 0 ? o.n_ctx : model.hp.n_ctx_train),
      n_batch(std::max<int64_t>(1, o.n_batch)) {
  const ModelHParams& hp = m.hp;
  if (hp.head_dim > 512) throw Error(m.path + ": head dimension " + std::to_string(hp.head_dim) + " > 512 is not supported");
  if (n_ctx > (int64_t{1} << 24)) throw Error("context length " + std::to_string(n_ctx) + " is too large");
  q_dim = hp.n_head * hp.head_dim;
  kv_dim = hp.n_head_kv * hp.head_dim;

  // KV cache. Pages are not touched here, so only the positions used become resident.
  kv_elem_bytes = kv_type == KvType::F32 ? 4 : 2;
  layer_stride = static_cast<uint64_t>(n_ctx) * static_cast<uint64_t>(kv_dim);
  const uint64_t kv_bytes = static_cast<uint64_t>(hp.n_layer) * layer_stride * kv_elem_bytes;
  k_cache = allocate_buffer(kv_bytes);
  v_cache = allocate_buffer(kv_bytes);

  // RoPE tables, float32 as HF computes them (kernels::rope_tables).
  rope_cos.resize(static_cast<size_t>(n_ctx * hp.head_dim));
  rope_sin.resize(static_cast<size_t>(n_ctx * hp.head_dim));
  kernels::rope_tables(hp.head_dim, model.rope_inv_freq.data(), n_ctx, rope_cos.data(), rope_sin.data());

  allocate_scratch(hp, n_batch);
  logits.resize(static_cast<size_t>(hp.n_vocab));
}

}  // namespace model

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options)
    : model_(std::move(model)), options_(options) {
  if (!model_) throw Error("Session: no model");
  state_ = std::make_unique<model::SessionState>(model_->data(), options_);
}

Session::~Session() = default;

int64_t Session::n_past() const { return state_->n_past; }
int64_t Session::n_ctx() const { return state_->n_ctx; }
int64_t Session::n_vocab() const { return model_->hparams().n_vocab; }
int Session::n_threads() const { return state_->pool.size(); }
uint64_t Session::kv_bytes() const { return state_->k_cache.size + state_->v_cache.size; }
uint64_t Session::scratch_bytes() const {
  const model::SessionState& s = *state_;
  uint64_t f = s.x.size() + s.xn.size() + s.q.size() + s.k.size() + s.v.size() + s.att.size() + s.proj.size() +
               s.gate.size() + s.up.size() + s.y.size() + s.act_scale.size() + s.logits.size() +
               s.rope_cos.size() + s.rope_sin.size();
  return f * 4 + s.q8.size;
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
  if (s.n_past + n > s.n_ctx) {
    throw Error("context full: " + std::to_string(s.n_past) + " tokens evaluated + " + std::to_string(n) +
                " new exceed the context length " + std::to_string(s.n_ctx));
  }
  for (int64_t i = 0; i < n; ++i) {
    if (ids[static_cast<size_t>(i)] < 0 || ids[static_cast<size_t>(i)] >= V) {
      throw Error("eval: token id " + std::to_string(ids[static_cast<size_t>(i)]) + " at index " + std::to_string(i) +
                  " is outside the vocabulary (0.." + std::to_string(V - 1) + ")");
    }
  }
  if (all_logits && s.logits.size() < static_cast<size_t>(n * V)) s.logits.resize(static_cast<size_t>(n * V));
  for (int64_t b = 0; b < n; b += s.n_batch) {
    const int64_t nb = std::min(s.n_batch, n - b);
    const bool last = b + nb == n;
    float* out = nullptr;
    if (all_logits) {
      out = s.logits.data() + b * V;
    } else if (last) {
      out = s.logits.data();
    }
    model::forward_batch(s, ids.data() + b, nb, out, all_logits);
  }
  return all_logits ? std::span<const float>(s.logits.data(), static_cast<size_t>(n * V))
                    : std::span<const float>(s.logits.data(), static_cast<size_t>(V));
}

}  // namespace tern
