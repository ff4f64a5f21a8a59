#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>

#include "platform/thread_wait.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tern {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

using Clock = std::chrono::steady_clock;

}  // namespace

RowRange split_rows(int64_t n, int64_t parts, int64_t part, int64_t align) {
  if (n <= 0 || parts <= 0 || part < 0 || part >= parts) return {0, 0};
  align = std::max<int64_t>(align, 1);
  const int64_t units = (n + align - 1) / align;  // tiles; the last may be partial
  const int64_t base = units / parts, extra = units % parts;
  const int64_t first = part * base + std::min(part, extra);
  const int64_t count = base + (part < extra ? 1 : 0);
  return {std::min(n, first * align), std::min(n, (first + count) * align)};
}

ThreadPool::ThreadPool(int n_threads, int spin_us) : spin_us_(std::max(spin_us, 0)) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  workers_.reserve(static_cast<size_t>(n_threads - 1));
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this] { worker_main(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  wake_all(&generation_);
  for (auto& t : workers_) t.join();
}

void ThreadPool::work() {
  for (;;) {
    const int64_t i = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (i >= n_tasks_) return;
    try {
      call_(ctx_, i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
      next_task_.store(n_tasks_, std::memory_order_relaxed);  // skip the rest
    }
  }
}

void ThreadPool::worker_main() {
  // Generation 0 is "no section yet": a worker that starts late must still take part in
  // section 1, which the caller may already have posted.
  uint32_t seen = 0;
  for (;;) {
    // Spin first: in decode the next section starts within microseconds.
    uint32_t now = generation_.load(std::memory_order_acquire);
    if (now == seen) {
      const auto deadline = Clock::now() + std::chrono::microseconds(spin_us_);
      for (int n = 0; now == seen; ++n) {
        cpu_relax();
        now = generation_.load(std::memory_order_acquire);
        if ((n & 63) == 63 && Clock::now() > deadline) break;
      }
    }
    while (now == seen) {  // sleep (platform/thread_wait.h) until the generation changes
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      wait_while_equal(&generation_, seen);  // returns at once if the generation already moved
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
      now = generation_.load(std::memory_order_acquire);
    }
    seen = now;
    if (stop_.load(std::memory_order_relaxed)) return;
    work();
    active_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::run(int64_t n_tasks, TaskFn call, void* ctx) {
  if (n_tasks <= 0) return;
  bool expected = false;
  if (workers_.empty() || n_tasks == 1 || !busy_.compare_exchange_strong(expected, true)) {
    for (int64_t i = 0; i < n_tasks; ++i) call(ctx, i);  // serial: no workers, or nested
    return;
  }
  n_tasks_ = n_tasks;
  call_ = call;
  ctx_ = ctx;
  error_ = nullptr;
  next_task_.store(0, std::memory_order_relaxed);
  active_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);  // publishes the fields above
  // Only sleeping workers need the syscall; spinning ones see the new generation.
  if (sleepers_.load(std::memory_order_seq_cst) != 0) wake_all(&generation_);
  work();
  // Every worker must check in before the next section may reuse the fields.
  for (int n = 0; active_.load(std::memory_order_acquire) != 0; ++n) {
    if (n < 20000) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
  std::exception_ptr error;
  std::swap(error, error_);
  busy_.store(false, std::memory_order_release);
  if (error) std::rethrow_exception(error);
}

}  // namespace tern
