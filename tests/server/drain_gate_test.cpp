// DrainGate (src/server/drain.h) on its own: who is in flight, the closed gate, the wait,
// the deadline's cancellation. The threads here wait for states, never for time.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "server/drain.h"

namespace tern::server {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<Job> a_job() { return std::make_shared<Job>(GenRequest{}); }

template <class Pred>
void wait_for(Pred pred) {
  while (!pred()) std::this_thread::yield();
}

TEST(DrainGate, DrainWaitsForThePassesInFlightThenTurnsNewOnesAway) {
  DrainGate gate;
  auto pass = gate.enter();
  ASSERT_TRUE(pass);
  EXPECT_EQ(gate.in_flight(), 1u);
  EXPECT_FALSE(gate.draining());
  auto job = a_job();
  pass->track(job);
  // Leaves once the drain has begun: the drain must have waited for it.
  std::thread handler([&] {
    wait_for([&] { return gate.draining(); });
    pass.reset();
  });
  const DrainOutcome out = gate.drain(std::chrono::steady_clock::now() + 3600s);
  handler.join();
  EXPECT_EQ(out.in_flight, 1u);
  EXPECT_EQ(out.cancelled, 0u);
  EXPECT_FALSE(job->cancelled());
  EXPECT_EQ(gate.in_flight(), 0u);
  EXPECT_EQ(gate.enter(), nullptr);
  EXPECT_NE(gate.metrics_text().find("\ntern_draining 1\n"), std::string::npos);
}

TEST(DrainGate, PastTheDeadlineTheJobsInFlightAreCancelledAndWaitedFor) {
  DrainGate gate;
  auto pass = gate.enter();
  auto job = a_job();
  pass->track(job);
  std::thread handler([&] {  // a handler ends its reply once its job is cancelled
    wait_for([&] { return job->cancelled(); });
    pass.reset();
  });
  const DrainOutcome out = gate.drain(std::chrono::steady_clock::now());
  handler.join();
  EXPECT_EQ(out.in_flight, 1u);
  EXPECT_EQ(out.cancelled, 1u);
  EXPECT_TRUE(job->cancelled());
  EXPECT_EQ(gate.in_flight(), 0u);
}

TEST(DrainGate, NothingInFlightDrainsAtOnce) {
  DrainGate gate;
  EXPECT_NE(gate.metrics_text().find("\ntern_draining 0\n"), std::string::npos);
  const DrainOutcome out = gate.drain(std::chrono::steady_clock::now() + 3600s);
  EXPECT_EQ(out.in_flight, 0u);
  EXPECT_EQ(out.cancelled, 0u);
  EXPECT_TRUE(gate.draining());
}

TEST(DrainGate, CancelAllCancelsTrackedJobsAndOnesTrackedLater) {
  DrainGate gate;
  auto early = gate.enter();
  auto late = gate.enter();  // entered, its job not yet submitted
  auto early_job = a_job();
  early->track(early_job);
  gate.cancel_all();
  EXPECT_TRUE(early_job->cancelled());
  auto late_job = a_job();
  late->track(late_job);
  EXPECT_TRUE(late_job->cancelled());
  EXPECT_EQ(gate.enter(), nullptr);
  EXPECT_NE(gate.metrics_text().find("\ntern_generations_in_flight 2\n"), std::string::npos);
}

}  // namespace
}  // namespace tern::server
