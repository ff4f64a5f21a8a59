// The ternary (BitNet b1.58-style) forward pass for a batch of token rows, top to bottom
// (compare with ../shared/golden/reference.py, ../shared/golden/README.md "The architecture,
// exactly" and ../shared/golden/FAMILIES.md "Exact semantics used by the golden models"):
//
//   h = embed(ids)
//   per layer:  h += o_proj([sub_norm](attention(rope(q, k), v)))      of x = rmsnorm(h)
//               h += down_proj([sub_norm](act(gate(x)) * up(x)))          of x = rmsnorm(h)
//   logits = lm_head(rmsnorm(h))            lm_head: the tied embedding or output.weight
//
// What varies by family is data (hp, from src/arch/family.cpp): whether the sub-norms exist
// (BitNet archs) or not ("llama"), act = ReLU² or SiLU, the RoPE pairing (rotate-half, or
// adjacent pairs on the permuted Q/K rows of "llama" files) and its frequencies (llama3
// scaling), any head_dim.
//
// The rows may belong to several sessions (continuous batching, tern::BatchDecoder): every
// step except RoPE, the KV cache and attention is per row and independent of the other
// rows (integer GEMM rows equal GEMV dot products, float steps per row), so a row's logits
// do not depend on what it is batched with. Every BitLinear quantizes its input once per
// token (shared by q/k/v and by gate/up) and runs the ternary kernel; the float steps
// follow the reference's float32 formulas. Every kernel (ternary, quantization, attention,
// float ops, lm_head) is the model's backend entry (kernels/backend.h), chosen once at load.
#include "model/forward.h"

#include <cstring>
#include <string>

#include "model/attention.h"
#include "model/dense.h"
#include "tern/error.h"

namespace tern::model {

namespace {

void call_hook(const SessionState& s, int index, int64_t p0, int64_t n, const float* rows, int64_t ld) {
  if (!s.hook) return;
  for (int64_t t = 0; t < n; ++t) {
    s.hook(index, p0 + t, std::span<const float>(rows + t * ld, static_cast<size_t>(s.m.hp.n_embd)));
  }
}

// Calls each run's hook on its rows of `rows` (row stride ld); p0[i] is run i's first position.
void call_hooks(std::span<const RowRun> runs, const int64_t* p0, int index, const float* rows, int64_t ld) {
  int64_t row = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    call_hook(*runs[i].s, index, p0[i], runs[i].n, rows + row * ld, ld);
    row += runs[i].n;
  }
}

}  // namespace

void forward_rows(const ModelData& m, ThreadPool& pool, ForwardScratch& b, std::span<const RowRun> runs,
                  const int32_t* ids, float* logits, bool all_logits) {
  const ModelHParams& hp = m.hp;
  const ModelWeights& w = m.w;
  const kernels::Backend& be = m.backend;  // every kernel below comes from the model's backend table
  const kernels::Kernel& kernel = *be.ternary;
  const int64_t E = hp.n_embd, F = hp.n_ff, hd = hp.head_dim;
  const int64_t q_dim = hp.n_head * hd, kv_dim = hp.n_head_kv * hd;
  const auto rope = hp.rope_pairing == RopePairing::Halves ? be.float_ops->rope_neox : be.float_ops->rope_adjacent;
  float* x = b.x.data();
  float* xn = b.xn.data();

  // Each run's first position, fixed before n_past advances; the rows in total.
  constexpr size_t kMaxRuns = 256;
  if (runs.size() > kMaxRuns) throw Error("forward: more than 256 sessions in one batch");
  int64_t p0[kMaxRuns];
  int64_t n = 0;
  bool any_hook = false;
  for (size_t i = 0; i < runs.size(); ++i) {
    p0[i] = runs[i].s->n_past;
    n += runs[i].n;
    any_hook = any_hook || static_cast<bool>(runs[i].s->hook);
  }
  if (n > b.rows) throw Error("forward: " + std::to_string(n) + " rows exceed the scratch's " + std::to_string(b.rows));

  // 1. Token embedding: the residual stream starts as the embedding rows (exact upcast).
  for (int64_t t = 0; t < n; ++t) dense_row(w.token_embd, ids[t], x + t * E);
  call_hooks(runs, p0, 0, x, E);

  for (int64_t l = 0; l < hp.n_layer; ++l) {
    const LayerWeights& L = w.layers[static_cast<size_t>(l)];

    // 2. Attention input RMSNorm, one int8 quantization shared by q, k and v.
    for (int64_t t = 0; t < n; ++t) be.float_ops->rmsnorm(x + t * E, L.attn_norm.data(), E, hp.rms_eps, xn + t * E);
    quantize_input(be, xn, E, n, E, b.qin);
    bitlinear_batch(kernel, pool, b.qin, {{&L.wq, b.q.data()}, {&L.wk, b.k.data()}, {&L.wv, b.v.data()}},
                    b.y.data());

    // 3. RoPE on every q and k head at the row's position; K, V into the row's session's
    //    cache. 4. Causal GQA attention of each run over its own cache.
    int64_t row = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
      SessionState& s = *runs[i].s;
      const int64_t nr = runs[i].n;
      for (int64_t t = row; t < row + nr; ++t) {
        const int64_t pos = p0[i] + (t - row);
        rope(b.q.data() + t * q_dim, hp.n_head, hd, s.rope.cos_row(pos), s.rope.sin_row(pos));
        rope(b.k.data() + t * kv_dim, hp.n_head_kv, hd, s.rope.cos_row(pos), s.rope.sin_row(pos));
        s.kv.store(l, pos, b.k.data() + t * kv_dim, b.v.data() + t * kv_dim);
      }
      attention(*be.attention, hp, s.kv, l, p0[i], nr, b.q.data() + row * q_dim, b.att.data() + row * q_dim, pool);
      row += nr;
    }

    // 5. Attention sub-norm (if the family has one), o_proj, residual.
    const float* o_in = b.att.data();
    if (hp.sub_norms) {
      for (int64_t t = 0; t < n; ++t) {
        be.float_ops->rmsnorm(b.att.data() + t * q_dim, L.attn_sub_norm.data(), q_dim, hp.rms_eps, xn + t * q_dim);
      }
      o_in = xn;
    }
    quantize_input(be, o_in, q_dim, n, q_dim, b.qin);
    bitlinear_batch(kernel, pool, b.qin, {{&L.wo, b.proj.data()}}, b.y.data());
    be.float_ops->add_inplace(x, b.proj.data(), n * E);

    // 6. FFN input RMSNorm, gate and up on one quantized input, act(gate) * up.
    for (int64_t t = 0; t < n; ++t) be.float_ops->rmsnorm(x + t * E, L.ffn_norm.data(), E, hp.rms_eps, xn + t * E);
    quantize_input(be, xn, E, n, E, b.qin);
    bitlinear_batch(kernel, pool, b.qin, {{&L.w_gate, b.gate.data()}, {&L.w_up, b.up.data()}}, b.y.data());
    if (hp.activation == FfnActivation::ReLU2) {
      be.float_ops->relu2_mul(b.gate.data(), b.up.data(), b.gate.data(), n * F);
    } else {
      be.float_ops->silu_mul(b.gate.data(), b.up.data(), n * F);
    }

    // 7. FFN sub-norm (size n_ff, if the family has one), down_proj, residual.
    const float* down_in = b.gate.data();
    if (hp.sub_norms) {
      for (int64_t t = 0; t < n; ++t) {
        be.float_ops->rmsnorm(b.gate.data() + t * F, L.ffn_sub_norm.data(), F, hp.rms_eps, b.up.data() + t * F);
      }
      down_in = b.up.data();
    }
    quantize_input(be, down_in, F, n, F, b.qin);
    bitlinear_batch(kernel, pool, b.qin, {{&L.w_down, b.proj.data()}}, b.y.data());
    be.float_ops->add_inplace(x, b.proj.data(), n * E);
    call_hooks(runs, p0, static_cast<int>(l + 1), x, E);
  }
  for (const RowRun& r : runs) r.s->n_past += r.n;

  // 8. Final RMSNorm and the full-precision lm_head, for the rows whose logits are wanted.
  if (logits == nullptr && !any_hook) return;
  int64_t n_rows = n;  // rows of xn that go through the lm_head
  if (all_logits || any_hook) {
    for (int64_t t = 0; t < n; ++t) be.float_ops->rmsnorm(x + t * E, w.output_norm.data(), E, hp.rms_eps, xn + t * E);
    call_hooks(runs, p0, static_cast<int>(hp.n_layer + 1), xn, E);
    if (logits == nullptr) return;
    if (!all_logits) {  // keep the last row of each run, packed (row i <= its source row)
      int64_t last = -1;
      for (size_t i = 0; i < runs.size(); ++i) {
        last += runs[i].n;
        std::memmove(xn + static_cast<int64_t>(i) * E, xn + last * E, static_cast<size_t>(E) * sizeof(float));
      }
      n_rows = static_cast<int64_t>(runs.size());
    }
  } else {
    int64_t last = -1;
    for (size_t i = 0; i < runs.size(); ++i) {
      last += runs[i].n;
      be.float_ops->rmsnorm(x + last * E, w.output_norm.data(), E, hp.rms_eps, xn + static_cast<int64_t>(i) * E);
    }
    n_rows = static_cast<int64_t>(runs.size());
  }
  const int64_t V = hp.n_vocab;
  pool.parallel_rows(V, 16, [&](int64_t rb, int64_t re) {
    dense_matmul(be, w.lm_head, xn, E, n_rows, logits, V, rb, re);
  });
}

}  // namespace tern::model
