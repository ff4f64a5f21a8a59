// Ternary kernel benchmarks at the BitNet b1.58 2B4T shapes, plus this machine's memory
// read bandwidth and the F16 lm_head, all in one run so the ratios compare like with like.
//
//   build-*/bench/bench_kernels --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// GEMV weights are DRAM-resident: each iteration reads the next of several copies of the
// matrix, together larger than the 32 MiB L3, so no iteration finds its weights in cache.
// 1-thread rates are per CPU second, 2-thread rates per wall second (see register_all).
// Counters: bytes_per_second = weight bytes read per second; int8_ops = 2*rows*K*N per
// second (multiply + add) for GEMM; weights = rows*K weights applied per second (the
// format-independent rate: TERN_T1 reads 1.6 bits per weight where TERN_T2 reads 2, so
// at equal weights/s T1 reads 20% fewer bytes). GEMV-T1 / GEMM-T1 are the TERN_T1 code of
// the kernels that have it (Kernel::matmul_t1). Activation preparation (prepare()) is not timed: the
// engine does it once per input vector for several matrices.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "kernels/float_ops.h"
#include "kernels/q8_head.h"
#include "kernels/ternary.h"
#include "runtime/cpu_features.h"
#include "runtime/read_bandwidth.h"
#include "runtime/thread_pool.h"

namespace {

using namespace tern;
using namespace tern::kernels;

constexpr size_t kColdBytes = 96u << 20;  // > 3x the L3: copies cycled so weights come from DRAM

ThreadPool& pool_for(int threads) {
  static std::map<int, std::unique_ptr<ThreadPool>> pools;
  auto& p = pools[threads];
  if (!p) p = std::make_unique<ThreadPool>(threads);
  return *p;
}

// ---- memory read bandwidth --------------------------------------------------------------
// The probe `tern bench` uses for its tg roofline (src/runtime/read_bandwidth.h): 256 MiB
// summed with AVX2 loads in dynamic 4 MiB chunks. "ReadBandwidth" reads it in 2 MiB pages
// (what the model's repacked weights and lm_head copy use when THP is available),
// "ReadBandwidth-4KiB" in 4 KiB pages; the gap between them is the TLB cost.
void read_bandwidth(benchmark::State& state, PageKind pages) {
  const int threads = static_cast<int>(state.range(0));
  static std::map<PageKind, std::unique_ptr<ReadProbe>> probes;
  auto& probe = probes[pages];
  if (!probe) probe = std::make_unique<ReadProbe>(pages);
  ThreadPool& pool = pool_for(threads);
  for (auto _ : state) benchmark::DoNotOptimize(probe->pass(pool));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(probe->bytes()));
  state.counters["huge_MB"] = static_cast<double>(probe->huge_bytes()) / 1e6;
}

void BM_ReadBandwidth(benchmark::State& state) { read_bandwidth(state, PageKind::Huge); }
void BM_ReadBandwidth4KiB(benchmark::State& state) { read_bandwidth(state, PageKind::Small); }

void register_read_bandwidth_4kib() {
  benchmark::RegisterBenchmark("ReadBandwidth-4KiB", BM_ReadBandwidth4KiB)->Arg(1)->ArgName("threads")->MinTime(0.5);
  benchmark::RegisterBenchmark("ReadBandwidth-4KiB", BM_ReadBandwidth4KiB)->Arg(2)->ArgName("threads")->UseRealTime()->MinTime(0.5);
}

// ---- ternary matmul ---------------------------------------------------------------------
struct Shape {
  int64_t rows, k;
};

struct Fixture {
  std::vector<std::vector<uint8_t>> copies;  // packed matrices, together > L3 for GEMV
  std::vector<int8_t> q;
  PreparedActs acts;
  std::vector<int32_t> y;
};

std::vector<uint8_t> random_packed(int64_t rows, int64_t k, uint32_t seed, TernaryFormat fmt) {
  std::mt19937 rng(seed);
  std::vector<int8_t> t(static_cast<size_t>(rows * k));
  for (auto& v : t) v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  return fmt == TernaryFormat::T1 ? pack_t1(t.data(), rows, k) : pack_t2(t.data(), rows, k);
}

void BM_Ternary(benchmark::State& state, const Kernel* kernel, Shape shape, int64_t n_tokens, bool cold,
                TernaryFormat fmt) {
  const int threads = static_cast<int>(state.range(0));
  if (!kernel->supported()) {
    state.SkipWithError("kernel not supported by this CPU");
    return;
  }
  const int64_t row_bytes = ternary_row_bytes(fmt, shape.k), kp = t2_padded_k(shape.k);
  const size_t matrix_bytes = static_cast<size_t>(shape.rows * row_bytes);
  const size_t n_copies = cold ? std::max<size_t>(2, kColdBytes / matrix_bytes + 1) : 1;
  Fixture f;
  const auto base = random_packed(shape.rows, shape.k, 7, fmt);
  for (size_t c = 0; c < n_copies; ++c) f.copies.push_back(base);  // same values, distinct memory
  std::mt19937 rng(3);
  f.q.resize(static_cast<size_t>(n_tokens * kp));
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t i = 0; i < shape.k; ++i) f.q[static_cast<size_t>(t * kp + i)] = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
  f.acts.n_tokens = n_tokens;
  f.acts.kp = kp;
  f.acts.q = f.q.data();
  kernel->prepare(f.acts);
  f.y.resize(static_cast<size_t>(n_tokens * shape.rows));
  ThreadPool& pool = pool_for(threads);
  size_t next = 0;
  for (auto _ : state) {
    const TernaryMatrix w{f.copies[next].data(), shape.rows, shape.k, fmt};
    next = (next + 1) % n_copies;
    matmul_threaded(*kernel, w, f.acts, f.y.data(), shape.rows, &pool);
    benchmark::DoNotOptimize(f.y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * matrix_bytes));
  state.counters["int8_ops"] = benchmark::Counter(2.0 * static_cast<double>(shape.rows * shape.k * n_tokens),
                                                  benchmark::Counter::kIsIterationInvariantRate);
  state.counters["weights"] = benchmark::Counter(static_cast<double>(shape.rows * shape.k),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// ---- F16 lm_head ------------------------------------------------------------------------
// rows = 128256: the 2B4T head (656 MB, from DRAM); rows = 256: 1.3 MB that stays in L2,
// the compute ceiling of the kernel.
void BM_LmHeadF16(benchmark::State& state, int64_t rows) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t k = 2560;
  std::vector<uint16_t> w(static_cast<size_t>(rows * k));
  std::mt19937 rng(1);
  std::vector<float> rowf(static_cast<size_t>(k));
  for (int64_t r = 0; r < rows; r += 1024) {  // realistic magnitudes; pattern repeats per 1024 rows
    for (auto& v : rowf) v = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) * 1e-4f;
    f32_to_f16_row(rowf.data(), w.data() + r * k, k);
    for (int64_t j = 1; j < 1024 && r + j < rows; ++j) std::memcpy(&w[static_cast<size_t>((r + j) * k)], &w[static_cast<size_t>(r * k)], static_cast<size_t>(k) * 2);
  }
  std::vector<float> x(static_cast<size_t>(k), 0.01f), y(static_cast<size_t>(rows));
  ThreadPool& pool = pool_for(threads);
  for (auto _ : state) {
    const HeadKernels::Rows f16 = best_backend().head->f16;
    pool.parallel_rows(rows, 8, [&](int64_t b, int64_t e) { f16(w.data(), k, x.data(), 1, y.data(), rows, b, e); });
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * rows * k * 2);
}

// The opt-in Q8_0 head (345 MB on the 2B4T shape), both ways of applying it (q8_head.h).
// The Int8 rate includes quantizing x, as the engine does per call.
void BM_LmHeadQ8_0(benchmark::State& state, Q8Head mode, int64_t rows) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t k = 2560, row_bytes = k / kQ8Block * kQ8BlockBytes;
  std::vector<uint8_t> w(static_cast<size_t>(rows * row_bytes));
  std::mt19937 rng(1);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint8_t>(rng());
  for (int64_t r = 0; r < rows; ++r)  // sane block scales (~1e-3); the int8 bytes stay random
    for (int64_t b = 0; b < k / kQ8Block; ++b) {
      const uint16_t d = f32_to_f16(1e-3f * static_cast<float>(1 + rng() % 100) / 50.0f);
      std::memcpy(&w[static_cast<size_t>(r * row_bytes + b * kQ8BlockBytes)], &d, 2);
    }
  std::vector<float> x(static_cast<size_t>(k)), y(static_cast<size_t>(rows));
  for (auto& v : x) v = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) * 1e-3f;
  std::vector<uint8_t> acts(static_cast<size_t>(q8_acts_bytes(k)));
  ThreadPool& pool = pool_for(threads);
  for (auto _ : state) {
    pool.parallel_rows(rows, 16, [&](int64_t b, int64_t e) {
      thread_local std::vector<uint8_t> a;
      a.resize(acts.size());
      if (mode == Q8Head::Int8) quantize_q8_acts(x.data(), k, 1, a.data());
      gemm_q8_0_rows(mode, w.data(), k, x.data(), a.data(), 1, y.data(), rows, b, e);
    });
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * rows * row_bytes);
}

void register_all() {
  // Rates: 1-thread benchmarks use CPU time (valid even when other jobs share the
  // machine); 2-thread ones need wall time, valid only on an otherwise idle machine.
  benchmark::RegisterBenchmark("ReadBandwidth", BM_ReadBandwidth)->Arg(1)->ArgName("threads")->MinTime(0.5);
  benchmark::RegisterBenchmark("ReadBandwidth", BM_ReadBandwidth)->Arg(2)->ArgName("threads")->UseRealTime()->MinTime(0.5);
  const Shape shapes[] = {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}};
  // N = 2..8 is a `tern serve` decode batch: its weights come from DRAM as in the GEMV, so
  // those run on cold copies too (N = 64 / 512, prefill, keep one hot copy: compute-bound).
  for (const Kernel* kernel : all_kernels()) {
    for (int64_t n : {1, 2, 4, 8, 64, 512}) {
      if (std::string(kernel->name) == "scalar" && n > 8) continue;  // minutes per iteration
      for (const Shape& s : shapes) {
        const std::string name = std::string(n == 1 ? "GEMV/" : "GEMM/") + kernel->name + "/" + std::to_string(s.rows) +
                                 "x" + std::to_string(s.k) + "/N=" + std::to_string(n);
        for (int threads : {1, 2}) {
          auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_Ternary, kernel, s, n, n <= 8, TernaryFormat::T2);
          b->Arg(threads)->ArgName("threads");
          if (threads > 1) b->UseRealTime();
          if (n == 1) b->MinTime(0.3);
        }
      }
    }
  }
  // TERN_T1 (1.6-bit) at the same shapes, for the kernels with their own T1 code.
  for (const Kernel* kernel : all_kernels()) {
    if (kernel->matmul_t1 == nullptr || std::string(kernel->name) == "scalar") continue;
    for (int64_t n : {1, 8, 64, 512}) {
      for (const Shape& s : shapes) {
        const std::string name = std::string(n == 1 ? "GEMV-T1/" : "GEMM-T1/") + kernel->name + "/" +
                                 std::to_string(s.rows) + "x" + std::to_string(s.k) + "/N=" + std::to_string(n);
        for (int threads : {1, 2}) {
          auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_Ternary, kernel, s, n, n == 1, TernaryFormat::T1);
          b->Arg(threads)->ArgName("threads");
          if (threads > 1) b->UseRealTime();
          if (n == 1) b->MinTime(0.3);
        }
      }
    }
    const std::string l2 = std::string("GEMV-T1-L2/") + kernel->name + "/640x2560/N=1";
    benchmark::RegisterBenchmark(l2.c_str(), BM_Ternary, kernel, Shape{640, 2560}, int64_t{1}, false, TernaryFormat::T1)
        ->Arg(1)->ArgName("threads");
  }
  // Compute ceiling of GEMV: one 640x2560 matrix (410 KB) that stays in L2.
  for (const Kernel* kernel : all_kernels()) {
    const std::string name = std::string("GEMV-L2/") + kernel->name + "/640x2560/N=1";
    benchmark::RegisterBenchmark(name.c_str(), BM_Ternary, kernel, Shape{640, 2560}, int64_t{1}, false, TernaryFormat::T2)
        ->Arg(1)->ArgName("threads");
  }
  benchmark::RegisterBenchmark("LmHeadF16/128256x2560", BM_LmHeadF16, int64_t{128256})->Arg(1)->ArgName("threads");
  benchmark::RegisterBenchmark("LmHeadF16/128256x2560", BM_LmHeadF16, int64_t{128256})->Arg(2)->ArgName("threads")->UseRealTime();
  benchmark::RegisterBenchmark("LmHeadF16-L2/256x2560", BM_LmHeadF16, int64_t{256})->Arg(1)->ArgName("threads");
  for (Q8Head mode : {Q8Head::F32, Q8Head::Int8}) {
    const std::string name = std::string("LmHeadQ8_0-") + (mode == Q8Head::F32 ? "f32" : "int8");
    benchmark::RegisterBenchmark((name + "/128256x2560").c_str(), BM_LmHeadQ8_0, mode, int64_t{128256})->Arg(1)->ArgName("threads");
    benchmark::RegisterBenchmark((name + "/128256x2560").c_str(), BM_LmHeadQ8_0, mode, int64_t{128256})->Arg(2)->ArgName("threads")->UseRealTime();
    benchmark::RegisterBenchmark((name + "-L2/256x2560").c_str(), BM_LmHeadQ8_0, mode, int64_t{256})->Arg(1)->ArgName("threads");
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::AddCustomContext("cpu_features", tern::cpu_features().summary());
  benchmark::Initialize(&argc, argv);
  register_read_bandwidth_4kib();
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
