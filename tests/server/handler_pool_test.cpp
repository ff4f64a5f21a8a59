// The handler pool: the first request after start is taken (the constructor waits for every
// thread's warm-up), every thread is usable at once, and a full pool says no instead of queueing.
#include "server/handler_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace tern::server {
namespace {

TEST(HandlerPool, EveryThreadTakesWorkRightAfterASlowWarmUp) {
  constexpr size_t kThreads = 4;
  std::atomic<int> warmed{0};
  HandlerPool pool(kThreads, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // slower than a request arrives
    ++warmed;
  });
  EXPECT_EQ(warmed.load(), static_cast<int>(kThreads));

  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> ran{0};
  auto blocker = [&] {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    ++ran;
  };
  for (size_t i = 0; i < kThreads; ++i) EXPECT_TRUE(pool.try_run(blocker)) << "thread " << i;
  EXPECT_FALSE(pool.try_run([] {})) << "a full pool must refuse, not queue";
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  pool.shutdown();
  EXPECT_EQ(ran.load(), static_cast<int>(kThreads));
  EXPECT_FALSE(pool.try_run([] {})) << "a stopped pool must refuse";
}

}  // namespace
}  // namespace tern::server
