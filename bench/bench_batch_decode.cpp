// Continuous batching's decode step (tern::BatchDecoder, what `tern serve` runs per pass)
// against the same tokens decoded one session at a time (Session::eval, one GEMV pass per
// token), on a real model file. CPU time is the whole process's (pool workers included),
// so "tok/cpu_s" is the cost per generated token whatever else runs on the machine.
//   TERN_BENCH_MODEL=/tmp/model-2b4t.gguf TERN_BENCH_THREADS=1 build-*/bench/bench_batch_decode
// Arg: sessions (rows per step). Each session holds a 32-token context (TERN_BENCH_PREFIX) when timing starts
// and advances one position per step (reset near the end of its 512-position cache).
// BM_PrefillBatched/BM_PrefillOneByOne: Args {sessions, prompt tokens each}: the new prompts of
// that many requests in ONE BatchDecoder::prefill step (what tern serve's prefill pass runs
// when they fit in --prefill-chunk) against one Session::eval per prompt.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tern/batch.h"
#include "tern/model.h"
#include "tern/session.h"

namespace {

constexpr int64_t kCtx = 512;

// Context each session holds before timing (TERN_BENCH_PREFIX; small for perf record).
int64_t prefix_len() {
  const char* p = std::getenv("TERN_BENCH_PREFIX");
  return p ? std::max(1, std::atoi(p)) : 32;
}

std::shared_ptr<const tern::Model> bench_model() {
  static std::shared_ptr<const tern::Model> m = [] {
    const char* path = std::getenv("TERN_BENCH_MODEL");
    return tern::Model::load(path ? path : "/tmp/model-2b4t.gguf");
  }();
  return m;
}

int bench_threads() {
  const char* t = std::getenv("TERN_BENCH_THREADS");
  return t ? std::atoi(t) : 1;
}

// n sessions on one shared pool of bench_threads(), as tern serve runs its slots.
struct Sessions {
  std::shared_ptr<tern::ThreadPool> pool = tern::make_thread_pool(bench_threads());
  std::vector<std::unique_ptr<tern::Session>> owned;
  std::vector<tern::Session*> ptrs;
  std::vector<int32_t> ids;
  explicit Sessions(int64_t n) {
    tern::SessionOptions o;
    o.n_ctx = kCtx;
    o.pool = pool;
    const std::vector<int32_t> prefix(static_cast<size_t>(prefix_len()), 1);
    for (int64_t i = 0; i < n; ++i) {
      owned.push_back(std::make_unique<tern::Session>(bench_model(), o));
      owned.back()->eval(prefix);
      ptrs.push_back(owned.back().get());
      ids.push_back(static_cast<int32_t>(2 + i));
    }
  }
  void rewind_if_full() {
    for (tern::Session* s : ptrs)
      if (s->n_past() + 1 >= s->n_ctx()) s->truncate(prefix_len());
  }
};

void BM_BatchedStep(benchmark::State& state) {
  const int64_t n = state.range(0);
  Sessions s(n);
  tern::BatchDecoder dec(bench_model(), n, s.pool);
  for (auto _ : state) {
    s.rewind_if_full();
    benchmark::DoNotOptimize(dec.decode(s.ptrs, s.ids).data());
  }
  state.counters["tok/cpu_s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_OneAtATime(benchmark::State& state) {
  const int64_t n = state.range(0);
  Sessions s(n);
  for (auto _ : state) {
    s.rewind_if_full();
    for (int64_t i = 0; i < n; ++i) {
      benchmark::DoNotOptimize(s.ptrs[static_cast<size_t>(i)]->eval(std::span<const int32_t>(&s.ids[static_cast<size_t>(i)], 1)).data());
    }
  }
  state.counters["tok/cpu_s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

// n prompts of k tokens each, every session back at its prefix before each iteration.
void BM_PrefillBatched(benchmark::State& state) {
  const int64_t n = state.range(0), k = state.range(1);
  Sessions s(n);
  tern::BatchDecoder dec(bench_model(), n, s.pool, n * k);
  const std::vector<int32_t> prompt(static_cast<size_t>(k), 7);
  std::vector<tern::PrefillRun> runs;
  for (tern::Session* p : s.ptrs) runs.push_back({p, prompt});
  for (auto _ : state) {
    for (tern::Session* p : s.ptrs) p->truncate(prefix_len());
    benchmark::DoNotOptimize(dec.prefill(runs).data());
  }
  state.counters["tok/cpu_s"] = benchmark::Counter(static_cast<double>(n * k), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_PrefillOneByOne(benchmark::State& state) {
  const int64_t n = state.range(0), k = state.range(1);
  Sessions s(n);
  const std::vector<int32_t> prompt(static_cast<size_t>(k), 7);
  for (auto _ : state) {
    for (tern::Session* p : s.ptrs) {
      p->truncate(prefix_len());
      benchmark::DoNotOptimize(p->eval(prompt).data());
    }
  }
  state.counters["tok/cpu_s"] = benchmark::Counter(static_cast<double>(n * k), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_BatchedStep)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Iterations(6)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OneAtATime)->Arg(1)->Arg(8)->Iterations(3)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PrefillBatched)->Args({4, 8})->Args({4, 16})->Iterations(5)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PrefillOneByOne)->Args({4, 8})->Args({4, 16})->Iterations(5)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
