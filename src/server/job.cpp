#include "server/job.h"

namespace tern::server {

void Job::emit(const std::string& text) {
  if (text.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ += text;
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

bool Job::wait(std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return done_ || !pending_.empty(); });
  text = std::move(pending_);
  pending_.clear();
  return done_;
}

GenResult Job::result() const {
  std::lock_guard<std::mutex> lock(mu_);
  return result_;
}

}  // namespace tern::server
