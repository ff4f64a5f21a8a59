// Attention at the BitNet 2B4T shape (20 query heads, 5 KV heads, head_dim 128), one thread:
//   Decode:  one token, all 20 heads (5 tiles of 4 heads) over `ctx` cached keys.
//   Prefill: one tile of 16 tokens x 4 heads (one KV head) whose last token sits at ctx - 1,
//            the unit the model's thread pool runs during prompt processing.
// Args: implementation (0 = best here ... last = scalar), context, KV cache (0 f32, 1 f16).
// Rates: "MAC/s" counts q.k and p.v multiply-adds of the keys each row attends (CPU time).
//   build-*/bench/bench_attention [--benchmark_filter=Prefill]
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/attention.h"
#include "kernels/backend.h"
#include "kernels/float_ops.h"

namespace {

using namespace tern::kernels;

constexpr int64_t kHeads = 20, kKvHeads = 5, kHeadDim = 128, kGroup = kHeads / kKvHeads;
constexpr int64_t kKvDim = kKvHeads * kHeadDim, kQDim = kHeads * kHeadDim;

struct Data {
  std::vector<float> k, v, q, out;
  std::vector<uint16_t> k16, v16;
};

Data make_data(int64_t ctx, int64_t n_tokens) {
  std::mt19937 rng(5);
  std::normal_distribution<float> d(0.0f, 1.0f);
  Data x;
  x.k.resize(static_cast<size_t>(ctx * kKvDim));
  x.v.resize(x.k.size());
  for (auto& f : x.k) f = d(rng);
  for (auto& f : x.v) f = d(rng);
  x.k16.resize(x.k.size());
  x.v16.resize(x.v.size());
  f32_to_f16_row(x.k.data(), x.k16.data(), static_cast<int64_t>(x.k.size()));
  f32_to_f16_row(x.v.data(), x.v16.data(), static_cast<int64_t>(x.v.size()));
  x.q.resize(static_cast<size_t>(n_tokens * kQDim));
  for (auto& f : x.q) f = d(rng);
  x.out.resize(x.q.size());
  return x;
}

AttentionTile tile_of(const Data& x, bool f16, int64_t kv_head, int64_t n_tokens, int64_t pos0, float* out) {
  AttentionTile t;
  t.q = x.q.data() + kv_head * kGroup * kHeadDim;
  t.ld_q_token = kQDim;
  t.n_tokens = n_tokens;
  t.pos0 = pos0;
  t.n_heads = kGroup;
  const size_t off = static_cast<size_t>(kv_head * kHeadDim);
  t.k = f16 ? static_cast<const void*>(x.k16.data() + off) : static_cast<const void*>(x.k.data() + off);
  t.v = f16 ? static_cast<const void*>(x.v16.data() + off) : static_cast<const void*>(x.v.data() + off);
  t.ld_kv = kKvDim;
  t.f16 = f16;
  t.head_dim = kHeadDim;
  t.scale = 1.0f / std::sqrt(static_cast<float>(kHeadDim));
  t.out = out + kv_head * kGroup * kHeadDim;
  t.ld_out_token = kQDim;
  return t;
}

const AttentionKernels* impl_or_skip(benchmark::State& state) {
  const int i = static_cast<int>(state.range(0));
  if (i >= attention_kernel_count()) {
    state.SkipWithError("implementation not available on this CPU");
    return nullptr;
  }
  return &attention_kernel(i);
}

void BM_AttentionDecode(benchmark::State& state) {
  const AttentionKernels* kern = impl_or_skip(state);
  if (kern == nullptr) return;
  const int64_t ctx = state.range(1);
  const bool f16 = state.range(2) != 0;
  Data x = make_data(ctx, 1);
  std::vector<float> scratch(attention_scratch_floats(kGroup, ctx, kHeadDim));
  for (auto _ : state) {
    for (int64_t g = 0; g < kKvHeads; ++g) attend_tile(*kern, tile_of(x, f16, g, 1, ctx - 1, x.out.data()), scratch.data());
    benchmark::DoNotOptimize(x.out.data());
  }
  state.SetLabel(std::string(kern->name) + (f16 ? " f16" : " f32"));
  state.counters["MAC/s"] = benchmark::Counter(static_cast<double>(2 * kHeads * ctx * kHeadDim),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void BM_AttentionPrefillTile(benchmark::State& state) {
  const AttentionKernels* kern = impl_or_skip(state);
  if (kern == nullptr) return;
  const int64_t ctx = state.range(1), n = 16;
  const bool f16 = state.range(2) != 0;
  Data x = make_data(ctx, n);
  std::vector<float> scratch(attention_scratch_floats(n * kGroup, ctx, kHeadDim));
  int64_t keys = 0;  // keys attended by the tile's rows (causal)
  for (int64_t t = 0; t < n; ++t) keys += ctx - n + t + 1;
  for (auto _ : state) {
    attend_tile(*kern, tile_of(x, f16, 0, n, ctx - n, x.out.data()), scratch.data());
    benchmark::DoNotOptimize(x.out.data());
  }
  state.SetLabel(std::string(kern->name) + (f16 ? " f16" : " f32"));
  state.counters["MAC/s"] = benchmark::Counter(static_cast<double>(2 * kGroup * keys * kHeadDim),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_AttentionDecode)->ArgsProduct({{0, 1, 2}, {128, 512, 2048}, {0, 1}});
BENCHMARK(BM_AttentionPrefillTile)->ArgsProduct({{0, 1, 2}, {128, 512, 2048}, {0, 1}});

}  // namespace

BENCHMARK_MAIN();
