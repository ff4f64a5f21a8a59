#include "server/drain.h"

namespace tern::server {

DrainGate::Pass::~Pass() {
  std::lock_guard<std::mutex> lock(gate_.mu_);
  gate_.passes_.erase(this);
  gate_.left_.notify_all();
}

void DrainGate::Pass::track(std::shared_ptr<Job> job) {
  std::lock_guard<std::mutex> lock(gate_.mu_);
  if (gate_.cancelling_) job->cancel();
  job_ = std::move(job);
}

std::shared_ptr<DrainGate::Pass> DrainGate::enter() {
  auto pass = std::make_shared<Pass>(*this);
  std::lock_guard<std::mutex> lock(mu_);
  // Checked and registered under one lock: a request either counts as in flight, so the
  // drain waits for it, or is turned away; none slips between the two.
  if (draining_) return nullptr;
  passes_.insert(pass.get());
  return pass;
}

bool DrainGate::draining() const {
  std::lock_guard<std::mutex> lock(mu_);
  return draining_;
}

size_t DrainGate::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return passes_.size();
}

DrainOutcome DrainGate::drain(std::chrono::steady_clock::time_point deadline) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  draining_ = true;
  DrainOutcome out;
  out.in_flight = passes_.size();
  if (!left_.wait_until(lock, deadline, [&] { return passes_.empty(); })) {
    out.cancelled = passes_.size();
    cancel_locked();
    left_.wait(lock, [&] { return passes_.empty(); });
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

void DrainGate::cancel_all() {
  std::lock_guard<std::mutex> lock(mu_);
  draining_ = true;
  cancel_locked();
}

void DrainGate::cancel_locked() {
  cancelling_ = true;
  for (Pass* p : passes_)
    if (p->job_) p->job_->cancel();
}

std::string DrainGate::metrics_text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return "# HELP tern_draining 1 while the server drains (SIGTERM): /health and new generation requests answer 503.\n"
         "# TYPE tern_draining gauge\ntern_draining " + std::string(draining_ ? "1" : "0") +
         "\n# HELP tern_generations_in_flight Generation requests being answered (queued, generating or sending).\n"
         "# TYPE tern_generations_in_flight gauge\ntern_generations_in_flight " + std::to_string(passes_.size()) + "\n";
}

}  // namespace tern::server
