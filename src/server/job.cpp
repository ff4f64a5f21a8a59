#include "server/job.h"

namespace tern::server {

void Job::emit(const std::string& text, const SampleLogprobs* logprobs) {
  if (text.empty() && !logprobs) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ += text;
    if (logprobs) pending_logprobs_.push_back(*logprobs);
  }
  cv_.notify_all();
}

void Job::finish(GenResult result) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    result_ = std::move(result);
    done_ = true;
  }
  cv_.notify_all();
}

bool Job::wait(JobOutput& out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return done_ || !pending_.empty() || !pending_logprobs_.empty(); });
  out.text = std::move(pending_);
  pending_.clear();
  out.logprobs = std::move(pending_logprobs_);
  pending_logprobs_.clear();
  return done_;
}

GenResult Job::result() const {
  std::lock_guard<std::mutex> lock(mu_);
  return result_;
}

}  // namespace tern::server
