// The threads that run generation handlers (parse, template, tokenize, then wait on the
// Job), so no blocking wait ever runs on the HTTP I/O thread. Built so that serving does
// not grow the process: every thread starts with the server and touches the first
// kStackReserve bytes of its stack at once, and a new request goes to the thread that went
// idle LAST (a stack of idle threads, not one condition variable that wakes any). A pool
// that wakes an arbitrary thread makes every thread, over many requests, fault in its stack
// and its thread-local buffers (the tokenizer's), and RSS creeps up long after the first
// load; here only as many threads ever run as requests were concurrent.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tern::server {

class HandlerPool {
 public:
  // Deeper than a request handler's frames go.
  static constexpr size_t kStackReserve = 64 * 1024;

  // warm_up runs once on every thread as it starts (before it takes connections): what a
  // request does on a handler thread, so first-use allocations happen at start too. Returns
  // once every thread is idle, so the first request after start is never refused as "busy".
  HandlerPool(size_t n_threads, std::function<void()> warm_up);
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Runs fn on the most recently idled thread; false (fn dropped) when every thread is
  // busy or the pool is shutting down: the caller answers "busy" instead of queueing.
  bool try_run(std::function<void()> fn);
  void shutdown();  // waits for the running tasks, then joins the threads; idempotent

 private:
  struct Worker {
    std::condition_variable cv;
    std::function<void()> task;  // set by try_run while the worker is idle
    std::thread thread;
  };
  void work(Worker& w);

  std::function<void()> warm_up_;
  const size_t n_threads_;

  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex mu_;
  std::vector<Worker*> idle_;  // LIFO: back() idled last
  std::condition_variable all_started_;  // the constructor waits on it
  size_t started_ = 0;                   // threads that reached the idle list once
  bool stopping_ = false;
};

}  // namespace tern::server
