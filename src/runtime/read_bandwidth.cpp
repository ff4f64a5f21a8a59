#include "runtime/read_bandwidth.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"
#include "runtime/timer.h"
#include "tern/error.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tern {
namespace {

constexpr size_t kChunkBytes = size_t{4} << 20;

// Sum of the 64-bit words of p[0, n), n a multiple of 256, p 32-byte aligned. Eight
// independent accumulators so neither the adds nor the load ports are the limit.
uint64_t sum_words_portable(const uint8_t* p, size_t n) {
  const auto* w = reinterpret_cast<const uint64_t*>(p);
  uint64_t a[8] = {};
  for (size_t i = 0; i < n / 8; i += 8)
    for (int j = 0; j < 8; ++j) a[j] += w[i + static_cast<size_t>(j)];
  return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t sum_words_avx2(const uint8_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (size_t i = 0; i < n; i += 256) {
    const auto* v = reinterpret_cast<const __m256i*>(p + i);
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(v + 0));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(v + 1));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(v + 2));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(v + 3));
    a4 = _mm256_add_epi64(a4, _mm256_load_si256(v + 4));
    a5 = _mm256_add_epi64(a5, _mm256_load_si256(v + 5));
    a6 = _mm256_add_epi64(a6, _mm256_load_si256(v + 6));
    a7 = _mm256_add_epi64(a7, _mm256_load_si256(v + 7));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3)),
                                     _mm256_add_epi64(_mm256_add_epi64(a4, a5), _mm256_add_epi64(a6, a7)));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#endif

uint64_t sum_words(const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  static const bool avx2 = cpu_features().avx2;
  if (avx2) return sum_words_avx2(p, n);
#endif
  return sum_words_portable(p, n);
}

}  // namespace

ReadProbe::ReadProbe(PageKind pages, size_t bytes) : bytes_(std::max(bytes / kChunkBytes, size_t{1}) * kChunkBytes), pages_(pages) {
  data_ = static_cast<uint8_t*>(allocate_pages(bytes_, pages));
  if (data_ == nullptr) throw Error("read-bandwidth probe: cannot allocate " + std::to_string(bytes_) + " bytes");
  std::memset(data_, 1, bytes_);  // fault every page in before any timed pass
}

ReadProbe::~ReadProbe() { free_pages(data_); }

uint64_t ReadProbe::pass(ThreadPool& pool) const {
  const int64_t chunks = static_cast<int64_t>(bytes_ / kChunkBytes);
  std::atomic<uint64_t> total{0};
  pool.parallel_for(chunks, [&](int64_t c) {
    total.fetch_add(sum_words(data_ + static_cast<size_t>(c) * kChunkBytes, kChunkBytes), std::memory_order_relaxed);
  });
  return total.load();
}

uint64_t ReadProbe::huge_bytes() const { return huge_page_bytes(data_, bytes_).value_or(0); }

ReadBandwidth measure_read_bandwidth(int threads, PageKind pages, int passes) {
  ThreadPool pool(threads);
  ReadProbe probe(pages);
  const uint64_t want = probe.bytes() / 8 * 0x0101010101010101ull;
  ReadBandwidth r;
  r.pages = pages;
  r.huge_bytes = probe.huge_bytes();
  for (int i = 0; i <= std::max(passes, 1); ++i) {
    Stopwatch sw;
    const uint64_t sum = probe.pass(pool);
    const double seconds = sw.seconds();
    if (sum != want) throw Error("read-bandwidth probe: the buffer summed wrongly");
    if (i > 0 && seconds > 0) r.gbps = std::max(r.gbps, static_cast<double>(probe.bytes()) / seconds / 1e9);
  }
  return r;
}

}  // namespace tern
