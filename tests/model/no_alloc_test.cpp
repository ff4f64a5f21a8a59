// Decode allocates nothing: every buffer is sized when the Session is built. Counts calls
// of the global operator new (replaced here for the whole test binary) across decode steps.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "model_test_util.h"

// Under AddressSanitizer the allocator is ASan's (replacing operator new here would mix
// allocators); the count is taken in the other builds.
#if defined(__SANITIZE_ADDRESS__)
#define TERN_COUNT_NEW 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TERN_COUNT_NEW 0
#endif
#endif
#ifndef TERN_COUNT_NEW
#define TERN_COUNT_NEW 1
#endif

namespace {
std::atomic<long> g_allocations{0};
}
#if TERN_COUNT_NEW

// GCC (with sanitizers, at -O2) flags free() on memory from this operator new although
// both sides of the pair are replaced here together.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace tern::test {
namespace {

TEST(ModelSession, DecodeAndPrefillAllocateNothing) {
  if (!TERN_COUNT_NEW) GTEST_SKIP() << "allocation counting is off under AddressSanitizer";
  {  // the counter sees allocations at all
    const long before = g_allocations.load();
    auto* probe = new std::vector<int>(10);
    EXPECT_GE(g_allocations.load() - before, 2);
    delete probe;
  }
  for (const char* model : {"tiny-a", "tiny-b"}) {
    SCOPED_TRACE(model);
    auto m = Model::load(converted_model(model));
    for (KvType kv : {KvType::F32, KvType::F16}) {
      SessionOptions o;
      o.kv_type = kv;
      // One thread: the kernels keep per-thread scratch that grows once, on the first GEMM
      // a thread runs; with more threads which thread first runs which shape varies.
      o.n_threads = 1;
      o.n_ctx = 128;
      o.n_batch = 16;
      Session s(m, o);
      const std::vector<int32_t> prompt = {984, 50, 76, 448, 864, 337, 75, 12, 13, 14, 15, 16, 17, 18, 19, 20};
      s.eval(prompt);  // first use: kernels may size their per-token buffers once
      int32_t next = 1;
      s.eval(std::span<const int32_t>(&next, 1));
      const long before = g_allocations.load();
      for (int i = 0; i < 16; ++i) {
        auto l = s.eval(std::span<const int32_t>(&next, 1));
        next = static_cast<int32_t>(argmax(l.data(), static_cast<int64_t>(l.size())));
      }
      s.eval(std::span<const int32_t>(prompt.data(), 8));  // a batched prefill after decode
      EXPECT_EQ(g_allocations.load() - before, 0) << kv_type_name(kv);
    }
  }
}

}  // namespace
}  // namespace tern::test
