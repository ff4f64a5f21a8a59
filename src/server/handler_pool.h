// The HTTP handler threads (cpp-httplib's TaskQueue), built so that serving does not grow
// the process: every thread starts with the server and touches the first kStackReserve
// bytes of its stack at once, and a new connection goes to the thread that went idle
// LAST (a stack of idle threads, not one condition variable that wakes any). httplib's own
// ThreadPool wakes an arbitrary thread, so over many requests every one of its threads
// faults in its stack and its thread-local buffers (the tokenizer's), and RSS creeps up
// long after the first load; here only as many threads ever run as requests were
// concurrent.
#pragma once
#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tern::server {

class HandlerPool : public httplib::TaskQueue {
 public:
  // Deeper than a request goes here (measured: ~32 KB incl. httplib's 4 KB read buffers).
  static constexpr size_t kStackReserve = 64 * 1024;

  // warm_up runs once on every thread as it starts (before it takes connections): what a
  // request does on a handler thread, so first-use allocations happen at start too.
  HandlerPool(size_t n_threads, std::function<void()> warm_up);
  ~HandlerPool() override;
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Runs fn on the most recently idled thread, or queues it when all are busy.
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;  // runs what is queued, then joins the threads

 private:
  struct Worker {
    std::condition_variable cv;
    std::function<void()> task;  // set by enqueue while the worker is idle
    std::thread thread;
  };
  void work(Worker& w);

  std::function<void()> warm_up_;

  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex mu_;
  std::vector<Worker*> idle_;                  // LIFO: back() idled last
  std::deque<std::function<void()>> backlog_;  // tasks that found no idle thread
  bool stopping_ = false;
};

}  // namespace tern::server
