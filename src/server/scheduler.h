// The scheduler: N slots, each with its own Session (KV cache), and one thread that runs
// them. Each pass of the loop takes waiting jobs into free slots, then advances every
// active slot by one step (a new slot evaluates its whole prompt; others decode one token).
// Slots are interleaved token by token on one thread, not batched into one GEMM.
// A slot is freed as soon as its job ends, is cancelled (client gone) or fails.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include "server/job.h"
#include "tern/session.h"
#include "tern/tokenizer.h"

namespace tern::server {

struct SchedulerStats {
  int64_t tokens_in = 0;        // prompt tokens evaluated
  int64_t tokens_out = 0;       // tokens generated
  double busy_seconds = 0;      // time spent stepping slots
  int64_t jobs_done = 0;
};

class Scheduler {
 public:
  Scheduler(std::shared_ptr<const Model> model, const tok::Tokenizer& tokenizer, const SessionOptions& session,
            int n_slots, size_t max_queue);
  ~Scheduler();  // stops the thread; jobs still queued or running finish as "cancelled"
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a job; false when the queue already holds max_queue jobs.
  bool submit(std::shared_ptr<Job> job);

  size_t queue_depth() const;
  int active_slots() const { return active_.load(std::memory_order_relaxed); }
  int n_slots() const { return static_cast<int>(slots_.size()); }
  int64_t n_ctx() const { return n_ctx_; }
  SchedulerStats stats() const;

 private:
  struct Slot;
  void loop();
  void step(Slot& slot);
  void release(Slot& slot, GenResult result);

  std::shared_ptr<const Model> model_;
  const tok::Tokenizer& tok_;
  size_t max_queue_;
  int64_t n_ctx_ = 0;
  std::vector<std::unique_ptr<Slot>> slots_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  std::atomic<int> active_{0};
  SchedulerStats stats_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace tern::server
