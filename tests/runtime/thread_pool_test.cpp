#include "runtime/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "runtime/cpu_features.h"

namespace tern {
namespace {

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
  for (int threads = 1; threads <= 4; ++threads) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 3, 17, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << threads << " " << n;
      }
    }
  }
}

TEST(ThreadPool, ManySmallSectionsInARow) {
  ThreadPool pool(3, 50);
  std::atomic<int64_t> sum{0};
  for (int rep = 0; rep < 5000; ++rep) pool.parallel_for(4, [&](int64_t i) { sum.fetch_add(i + 1); });
  EXPECT_EQ(sum.load(), 5000 * 10);
}

TEST(ThreadPool, WorkersSleepAndWakeUp) {
  ThreadPool pool(2, 0);  // no spinning: every section wakes a sleeping worker
  std::atomic<int> n{0};
  for (int rep = 0; rep < 200; ++rep) pool.parallel_for(2, [&](int64_t) { n.fetch_add(1); });
  EXPECT_EQ(n.load(), 400);
}

TEST(ThreadPool, RethrowsTheTaskException) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(10, [](int64_t i) { if (i == 7) throw std::runtime_error("task 7"); }),
               std::runtime_error);
  std::atomic<int> n{0};
  pool.parallel_for(10, [&](int64_t) { n.fetch_add(1); });  // still usable
  EXPECT_EQ(n.load(), 10);
}

TEST(ThreadPool, NestedCallRunsInline) {
  ThreadPool pool(2);
  std::atomic<int> n{0};
  pool.parallel_for(4, [&](int64_t) { pool.parallel_for(3, [&](int64_t) { n.fetch_add(1); }); });
  EXPECT_EQ(n.load(), 12);
}

TEST(ThreadPool, SplitRowsCoversAlignedChunks) {
  for (int64_t n : {0, 1, 5, 16, 100, 6912}) {
    for (int64_t parts : {1, 2, 3, 4, 7}) {
      for (int64_t align : {1, 4, 16}) {
        int64_t next = 0;
        for (int64_t p = 0; p < parts; ++p) {
          const RowRange r = split_rows(n, parts, p, align);
          if (r.size() == 0) continue;
          ASSERT_EQ(r.begin, next) << n << " " << parts << " " << align;
          ASSERT_EQ(r.begin % align, 0);
          if (r.end != n) {
            ASSERT_EQ(r.end % align, 0);
          }
          next = r.end;
        }
        ASSERT_EQ(next, n) << n << " " << parts << " " << align;
      }
    }
  }
}

TEST(ThreadPool, ParallelRowsCoversAllRows) {
  ThreadPool pool(3);
  std::vector<int> hit(1001, 0);
  pool.parallel_rows(1001, 8, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hit[static_cast<size_t>(i)]++;
  });
  for (int h : hit) ASSERT_EQ(h, 1);
  parallel_rows(nullptr, 10, 4, [&](int64_t b, int64_t e) { EXPECT_EQ(e - b, 10); });
}

TEST(CpuFeatures, SummaryNamesTheArchitecture) {
  const std::string s = cpu_features().summary();
#if defined(__x86_64__)
  EXPECT_EQ(s.rfind("x86-64:", 0), 0u) << s;
  EXPECT_FALSE(cpu_features().neon);
  if (cpu_features().avx2) {
    EXPECT_NE(s.find("avx2"), std::string::npos);
  }
#elif defined(__aarch64__)
  EXPECT_EQ(s.rfind("aarch64:", 0), 0u) << s;
  EXPECT_TRUE(cpu_features().neon);  // every aarch64 Linux CPU has ASIMD
#endif
}

}  // namespace
}  // namespace tern
