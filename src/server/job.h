// One generation request travelling between an HTTP handler thread and the scheduler
// thread. The scheduler appends text and finally marks it done; the handler waits for
// output with a timeout (so it can notice a vanished client) and may cancel it. Model work
// never happens on a handler thread and the scheduler never blocks on a client.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include "tern/sampler.h"

namespace tern::server {

struct GenRequest {
  std::vector<int32_t> prompt;      // token ids, BOS included if the model wants it
  SamplerConfig sampling;
  int64_t max_tokens = 16;          // >= 1, already checked against the context
  std::vector<std::string> stop;    // generation ends before any of these texts
  bool ignore_eos = false;          // end-of-generation tokens do not end the reply
  int logprobs = -1;                // >= 0: report each token's log-probability and this many alternatives
};

// What a handler takes from a job in one wait: the new text and, when the request asked
// for log-probabilities, one entry per token sampled since the last wait.
struct JobOutput {
  std::string text;
  std::vector<SampleLogprobs> logprobs;
};

struct GenResult {
  std::string finish_reason;  // "stop", "length", "cancelled" or "error"
  std::string error;          // when finish_reason == "error"
  int64_t prompt_tokens = 0;
  int64_t cached_tokens = 0;  // of prompt_tokens, those already in the slot's KV cache (not evaluated)
  int64_t completion_tokens = 0;
  // Measured cost (server/accounting.h): process CPU-seconds apportioned to this request,
  // and RAPL joules likewise where readable (nullopt where not: never an estimate).
  double cpu_seconds = 0;
  std::optional<double> energy_joules;
};

class Job {
 public:
  explicit Job(GenRequest request) : request_(std::move(request)) {}
  const GenRequest& request() const { return request_; }

  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  // Scheduler side. `logprobs` (may be null) belongs to the token whose text this is.
  void emit(const std::string& text, const SampleLogprobs* logprobs = nullptr);
  void finish(GenResult result);

  // Handler side: waits up to `timeout` for text, log-probabilities or the end. Replaces
  // `out` with what came since the last wait and returns true once the job is done (then
  // result() is final).
  bool wait(JobOutput& out, std::chrono::milliseconds timeout);
  GenResult result() const;

 private:
  GenRequest request_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;
  std::vector<SampleLogprobs> pending_logprobs_;
  bool done_ = false;
  GenResult result_;
};

}  // namespace tern::server
