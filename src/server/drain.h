// Graceful drain of `tern serve`: which generation requests are in flight, and the switch
// that turns new ones away. A generation handler enters the gate before it submits its
// job and leaves when its reply is complete (streamed or whole); drain() closes the gate,
// waits until nothing is in flight or the deadline passes, then cancels the jobs still
// running and waits for their handlers to leave (a cancelled job ends at the scheduler's
// next pass, so that wait is short). The server turns this into 503s, a 503 /health and
// a gauge; nothing here knows HTTP.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include "server/job.h"

namespace tern::server {

struct DrainOutcome {
  size_t in_flight = 0;   // generation requests in flight when the drain began
  size_t cancelled = 0;   // of them, still running at the deadline (their jobs cancelled)
  double seconds = 0;     // from the drain's start until nothing was in flight
};

class DrainGate {
 public:
  // One generation request in flight; leaves the gate when destroyed.
  class Pass {
   public:
    explicit Pass(DrainGate& gate) : gate_(gate) {}
    ~Pass();
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    // The request's job, so a drain past its deadline (or a stop) can cancel it; a job
    // tracked after that is cancelled at once.
    void track(std::shared_ptr<Job> job);

   private:
    friend class DrainGate;
    DrainGate& gate_;
    std::shared_ptr<Job> job_;  // guarded by gate_.mu_
  };

  // A pass for a new generation request; nullptr once draining (the caller answers 503).
  std::shared_ptr<Pass> enter();
  bool draining() const;
  size_t in_flight() const;

  // Closes the gate (idempotent) and waits as described above; `deadline` may already
  // have passed (then the jobs in flight are cancelled at once).
  DrainOutcome drain(std::chrono::steady_clock::time_point deadline);
  // Closes the gate and cancels every job in flight now (a stop, or a second signal).
  void cancel_all();

  // Prometheus gauges: tern_draining (0 / 1) and tern_generations_in_flight.
  std::string metrics_text() const;

 private:
  void cancel_locked();  // with mu_ held

  mutable std::mutex mu_;
  std::condition_variable left_;  // a pass left
  std::set<Pass*> passes_;
  bool draining_ = false;
  bool cancelling_ = false;  // jobs tracked from now on are cancelled at once
};

}  // namespace tern::server
