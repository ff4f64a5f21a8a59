// The BitNet b1.58 forward pass for a batch of tokens, top to bottom (compare with
// ../shared/golden/reference.py and README.md "The architecture, exactly"):
//
//   h = embed(ids)
//   per layer:  h += o_proj(sub_norm(attention(rope(q, k), v)))      of x = rmsnorm(h)
//               h += down_proj(sub_norm(act(gate(x)) * up(x)))          of x = rmsnorm(h)
//   logits = lm_head(rmsnorm(h))
//
// Every BitLinear quantizes its input once per token (shared by q/k/v and by gate/up) and
// runs the ternary kernel; the float steps follow the reference's float32 formulas.
#include <algorithm>
#include <cstring>

#include "model/attention.h"
#include "model/dense.h"
#include "kernels/float_ops.h"
#include "model/ops.h"
#include "model/session_state.h"

namespace tern::model {

namespace {

void call_hook(const SessionState& s, int index, int64_t p0, int64_t n, const float* rows, int64_t ld) {
  if (!s.hook) return;
  for (int64_t t = 0; t < n; ++t) {
    s.hook(index, p0 + t, std::span<const float>(rows + t * ld, static_cast<size_t>(s.m.hp.n_embd)));
  }
}

}  // namespace

void forward_batch(SessionState& s, const int32_t* ids, int64_t n, float* logits, bool all_logits) {
  const ModelHParams& hp = s.m.hp;
  const ModelWeights& w = s.m.w;
  const kernels::Kernel& kernel = *s.m.kernel;
  const int64_t E = hp.n_embd, F = hp.n_ff, hd = hp.head_dim;
  const int64_t p0 = s.n_past;
  float* x = s.x.data();
  float* xn = s.xn.data();

  // 1. Token embedding: the residual stream starts as the embedding rows (exact upcast).
  for (int64_t t = 0; t < n; ++t) dense_row(w.token_embd, ids[t], x + t * E);
  call_hook(s, 0, p0, n, x, E);

  for (int64_t l = 0; l < hp.n_layer; ++l) {
    const LayerWeights& L = w.layers[static_cast<size_t>(l)];

    // 2. Attention input RMSNorm, one int8 quantization shared by q, k and v.
    for (int64_t t = 0; t < n; ++t) kernels::rmsnorm(x + t * E, L.attn_norm.data(), E, hp.rms_eps, xn + t * E);
    quantize_input(kernel, xn, E, n, E, s.qin);
    bitlinear_batch(kernel, s.pool, s.qin, {{&L.wq, s.q.data()}, {&L.wk, s.k.data()}, {&L.wv, s.v.data()}},
                    s.y.data());

    // 3. RoPE (rotate-half) on every q and k head at the token's position; K, V into the cache.
    for (int64_t t = 0; t < n; ++t) {
      const int64_t pos = p0 + t;
      const float* cs = s.rope_cos.data() + pos * hd;
      const float* sn = s.rope_sin.data() + pos * hd;
      kernels::rope_neox(s.q.data() + t * s.q_dim, hp.n_head, hd, cs, sn);
      kernels::rope_neox(s.k.data() + t * s.kv_dim, hp.n_head_kv, hd, cs, sn);
      store_kv_row(s, kv_at(s.k_cache, s, l, pos), s.k.data() + t * s.kv_dim);
      store_kv_row(s, kv_at(s.v_cache, s, l, pos), s.v.data() + t * s.kv_dim);
    }

    // 4. Causal GQA attention over the cache.
    attention(s, l, p0, n);

    // 5. Attention sub-norm, o_proj, residual.
    for (int64_t t = 0; t < n; ++t) {
      kernels::rmsnorm(s.att.data() + t * s.q_dim, L.attn_sub_norm.data(), s.q_dim, hp.rms_eps, xn + t * s.q_dim);
    }
    quantize_input(kernel, xn, s.q_dim, n, s.q_dim, s.qin);
    bitlinear_batch(kernel, s.pool, s.qin, {{&L.wo, s.proj.data()}}, s.y.data());
    kernels::add_inplace(x, s.proj.data(), n * E);

    // 6. FFN input RMSNorm, gate and up on one quantized input, act(gate) * up.
    for (int64_t t = 0; t < n; ++t) kernels::rmsnorm(x + t * E, L.ffn_norm.data(), E, hp.rms_eps, xn + t * E);
    quantize_input(kernel, xn, E, n, E, s.qin);
    bitlinear_batch(kernel, s.pool, s.qin, {{&L.w_gate, s.gate.data()}, {&L.w_up, s.up.data()}}, s.y.data());
    if (hp.activation == FfnActivation::ReLU2) {
      kernels::relu2_mul(s.gate.data(), s.up.data(), s.gate.data(), n * F);
    } else {
      ops::silu_mul(s.gate.data(), s.up.data(), n * F);
    }

    // 7. FFN sub-norm (size n_ff), down_proj, residual.
    for (int64_t t = 0; t < n; ++t) {
      kernels::rmsnorm(s.gate.data() + t * F, L.ffn_sub_norm.data(), F, hp.rms_eps, s.up.data() + t * F);
    }
    quantize_input(kernel, s.up.data(), F, n, F, s.qin);
    bitlinear_batch(kernel, s.pool, s.qin, {{&L.w_down, s.proj.data()}}, s.y.data());
    kernels::add_inplace(x, s.proj.data(), n * E);
    call_hook(s, static_cast<int>(l + 1), p0, n, x, E);
  }
  s.n_past += n;

  // 8. Final RMSNorm and the full-precision lm_head, for the rows whose logits are wanted.
  const bool hook = static_cast<bool>(s.hook);
  if (logits == nullptr && !hook) return;
  const int64_t first = (all_logits || hook) ? 0 : n - 1;
  for (int64_t t = first; t < n; ++t) kernels::rmsnorm(x + t * E, w.output_norm.data(), E, hp.rms_eps, xn + t * E);
  call_hook(s, static_cast<int>(hp.n_layer + 1), p0 + first, n - first, xn + first * E, E);
  if (logits == nullptr) return;
  const int64_t row0 = all_logits ? 0 : n - 1;
  const int64_t n_rows = n - row0;
  const int64_t V = hp.n_vocab;
  s.pool.parallel_rows(V, 16, [&](int64_t b, int64_t e) {
    dense_matmul(w.lm_head, xn + row0 * E, E, n_rows, logits, V, b, e);
  });
}

}  // namespace tern::model
