#include "server/handler_pool.h"

#include <algorithm>
#include <cstring>

namespace tern::server {

namespace {

// Writes the next kStackReserve bytes of this thread's stack so its pages are resident
// from now on (a stack never gives pages back). noinline: the array must lie below the
// caller's frame, where the handler's frames will be.
[[gnu::noinline]] void touch_stack() {
  char pad[HandlerPool::kStackReserve];
  std::memset(pad, 0, sizeof pad);
  asm volatile("" : : "r"(pad) : "memory");  // the writes are not dead stores
}

}  // namespace

HandlerPool::HandlerPool(size_t n_threads, std::function<void()> warm_up) : warm_up_(std::move(warm_up)), n_threads_(n_threads) {
  workers_.reserve(n_threads);
  idle_.reserve(n_threads);
  for (size_t i = 0; i < n_threads; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->thread = std::thread([this, w] { work(*w); });
  }
  std::unique_lock<std::mutex> lock(mu_);
  all_started_.wait(lock, [&] { return started_ == n_threads_; });
}

HandlerPool::~HandlerPool() { shutdown(); }

bool HandlerPool::try_run(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.empty() || stopping_) return false;
  Worker* w = idle_.back();
  idle_.pop_back();
  w->task = std::move(fn);
  w->cv.notify_one();
  return true;
}

void HandlerPool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (Worker* w : idle_) w->cv.notify_one();
  }
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

void HandlerPool::work(Worker& w) {
  touch_stack();
  if (warm_up_) {
    try {
      warm_up_();
    } catch (...) {  // only an optimisation: the thread serves all the same
    }
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (++started_ == n_threads_) all_started_.notify_one();
  for (;;) {
    if (w.task) {
      std::function<void()> fn = std::move(w.task);
      w.task = nullptr;
      lock.unlock();
      fn();
      fn = nullptr;  // the task's captures (a connection) are released off the lock
      lock.lock();
      continue;
    }
    if (stopping_) return;
    idle_.push_back(&w);
    w.cv.wait(lock, [&] { return static_cast<bool>(w.task) || stopping_; });
    if (!w.task) {  // woken by shutdown while idle: leave the idle list
      idle_.erase(std::remove(idle_.begin(), idle_.end(), &w), idle_.end());
      return;
    }
  }
}

}  // namespace tern::server
