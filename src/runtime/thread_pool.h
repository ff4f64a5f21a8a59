// A persistent thread pool for decode, where one token runs hundreds of tiny parallel
// sections (one per matmul / norm). Threads are created once; between sections workers
// spin briefly (a section usually follows within microseconds) and then sleep on the
// generation word (a futex on Linux: platform/thread_wait.h), so an idle engine uses no
// CPU. The calling thread takes part in the work, and a call allocates nothing.
//
// One caller at a time: parallel_for from inside a task (or from a second thread while a
// section runs) simply runs serially on the calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace tern {

// [begin, end) of rows.
struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

// Part `part` of `parts` near-equal contiguous chunks of [0, n) whose inner boundaries are
// multiples of `align` (kernels process rows in tiles of 4 or 16; a chunk boundary inside
// a tile would waste work). Some chunks may be empty when n is small.
RowRange split_rows(int64_t n, int64_t parts, int64_t part, int64_t align);

class ThreadPool {
 public:
  // n_threads counts the caller: 1 means no worker threads (everything runs inline).
  // 0 or negative means std::thread::hardware_concurrency(). spin_us bounds how long an
  // idle worker busy-waits before sleeping.
  explicit ThreadPool(int n_threads = 0, int spin_us = 200);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(task) for every task in [0, n_tasks), spread over the pool's threads
  // (dynamic: each thread takes the next task index). Returns when all are done; the
  // first exception thrown by a task is rethrown here.
  template <class F>
  void parallel_for(int64_t n_tasks, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    run(n_tasks, [](void* ctx, int64_t i) { (*static_cast<Fn*>(ctx))(i); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // Splits [0, rows) into one chunk per thread (boundaries multiples of align) and calls
  // fn(begin, end) for each non-empty chunk.
  template <class F>
  void parallel_rows(int64_t rows, int64_t align, F&& fn) {
    const int64_t parts = size();
    parallel_for(parts, [&](int64_t part) {
      const RowRange r = split_rows(rows, parts, part, align);
      if (r.size() > 0) fn(r.begin, r.end);
    });
  }

 private:
  using TaskFn = void (*)(void* ctx, int64_t task);
  void run(int64_t n_tasks, TaskFn call, void* ctx);
  void work();  // takes tasks until none are left
  void worker_main();

  std::vector<std::thread> workers_;
  int spin_us_;
  std::atomic<uint32_t> generation_{0};  // bumped once per section; workers wait on it
  std::atomic<int64_t> next_task_{0};
  std::atomic<int> active_{0};           // workers that have not finished this section
  std::atomic<int> sleepers_{0};         // workers in (or about to enter) wait_while_equal
  std::atomic<bool> busy_{false};        // a section is running (re-entrancy guard)
  std::atomic<bool> stop_{false};
  int64_t n_tasks_ = 0;
  TaskFn call_ = nullptr;
  void* ctx_ = nullptr;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

// Runs on `pool` if there is one, else inline.
template <class F>
void parallel_rows(ThreadPool* pool, int64_t rows, int64_t align, F&& fn) {
  if (pool != nullptr) {
    pool->parallel_rows(rows, align, std::forward<F>(fn));
  } else if (rows > 0) {
    fn(int64_t{0}, rows);
  }
}

}  // namespace tern
