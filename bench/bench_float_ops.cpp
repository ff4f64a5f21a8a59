// Float op benchmarks at the BitNet 2B4T sizes (hidden 2560, ffn 6912, 20 heads x 128).
//   build-*/bench/bench_float_ops
// Rates are per CPU second (single thread).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/float_ops.h"

namespace {

using namespace tern::kernels;

std::vector<float> randn(size_t n) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void BM_RmsNorm(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x = randn(static_cast<size_t>(n)), w = randn(static_cast<size_t>(n)), y = x;
  for (auto _ : state) {
    rmsnorm(x.data(), w.data(), n, 1e-5f, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_RmsNorm)->Arg(2560)->Arg(6912);

void BM_RopeNeox(benchmark::State& state) {
  const int64_t heads = 20, d = 128;
  std::vector<float> c(static_cast<size_t>(d * 4096)), s(c.size());
  std::vector<float> inv(static_cast<size_t>(d / 2));
  rope_inv_freq(d, 500000.0, inv.data());
  rope_tables(d, inv.data(), 4096, c.data(), s.data());
  auto x = randn(static_cast<size_t>(heads * d));
  for (auto _ : state) {
    rope_neox(x.data(), heads, d, c.data() + 1000 * d, s.data() + 1000 * d);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(state.iterations() * heads * d);
}
BENCHMARK(BM_RopeNeox);

void BM_Softmax(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto src = randn(static_cast<size_t>(n));
  auto x = src;
  for (auto _ : state) {
    x = src;
    softmax(x.data(), n);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Softmax)->Arg(512)->Arg(4096);

void BM_Relu2Mul(benchmark::State& state) {
  const int64_t n = 6912;
  auto g = randn(static_cast<size_t>(n)), u = randn(static_cast<size_t>(n)), o = g;
  for (auto _ : state) {
    relu2_mul(g.data(), u.data(), o.data(), n);
    benchmark::DoNotOptimize(o.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Relu2Mul);

void BM_F16ToF32Row(benchmark::State& state) {
  const int64_t n = 2560;
  std::vector<uint16_t> h(static_cast<size_t>(n));
  const auto f = randn(static_cast<size_t>(n));
  f32_to_f16_row(f.data(), h.data(), n);
  std::vector<float> out(static_cast<size_t>(n));
  for (auto _ : state) {
    f16_to_f32_row(h.data(), out.data(), n);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_F16ToF32Row);

}  // namespace

BENCHMARK_MAIN();
