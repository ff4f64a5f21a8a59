#include "server/scheduler.h"

#include <algorithm>
#include <exception>
#include "runtime/timer.h"
#include "server/stop_text.h"

namespace tern::server {

namespace {
GenResult ended(const char* reason, const std::string& error = "") {
  GenResult r;
  r.finish_reason = reason;
  r.error = error;
  return r;
}
}  // namespace

struct Scheduler::Slot {
  std::unique_ptr<Session> session;
  std::shared_ptr<Job> job;               // null when free
  std::optional<Sampler> sampler;
  std::optional<tok::StreamDecoder> decoder;
  std::optional<StopText> stop;
  bool prefilled = false;
  int32_t to_feed = -1;                   // the last sampled token, evaluated next step
  int64_t generated = 0;
};

Scheduler::Scheduler(std::shared_ptr<const Model> model, const tok::Tokenizer& tokenizer,
                     const SessionOptions& session, int n_slots, size_t max_queue)
    : model_(std::move(model)), tok_(tokenizer), max_queue_(max_queue) {
  for (int i = 0; i < std::max(1, n_slots); ++i) {
    auto slot = std::make_unique<Slot>();
    slot->session = std::make_unique<Session>(model_, session);
    n_ctx_ = slot->session->n_ctx();
    slots_.push_back(std::move(slot));
  }
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (auto& job : queue_) job->finish(ended("cancelled"));
  for (auto& slot : slots_)
    if (slot->job) slot->job->finish(ended("cancelled"));
}

bool Scheduler::submit(std::shared_ptr<Job> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
  }
  cv_.notify_all();
  return true;
}

size_t Scheduler::queue_depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Scheduler::release(Slot& slot, GenResult result) {
  // Text held back because it might have started a stop string is part of the reply.
  if (slot.stop && slot.decoder && !slot.stop->matched()) {
    slot.job->emit(slot.stop->push(slot.decoder->flush()) + slot.stop->flush());
  }
  result.prompt_tokens = static_cast<int64_t>(slot.job->request().prompt.size());
  result.completion_tokens = slot.generated;
  slot.job->finish(std::move(result));
  slot.job.reset();
  slot.sampler.reset();
  slot.decoder.reset();
  slot.stop.reset();
  active_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.jobs_done;
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || active_.load() > 0; });
      if (stopping_) return;
      for (auto& slot : slots_) {
        if (slot->job || queue_.empty()) continue;
        slot->job = std::move(queue_.front());
        queue_.pop_front();
        const GenRequest& r = slot->job->request();
        slot->prefilled = false;
        slot->generated = 0;
        slot->to_feed = -1;
        slot->sampler.emplace(r.sampling, static_cast<int32_t>(slot->session->n_vocab()));
        slot->decoder.emplace(tok_, tok::Special::kSkip);
        slot->stop.emplace(r.stop);
        active_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    Stopwatch sw;
    for (auto& slot : slots_) {
      if (!slot->job) continue;
      try {
        step(*slot);
      } catch (const std::exception& e) {
        release(*slot, ended("error", e.what()));
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    stats_.busy_seconds += sw.seconds();
  }
}

// One step of one slot: evaluate (the prompt, or the token sampled last step), sample the
// next token, pass its text on, and free the slot when the reply is over.
void Scheduler::step(Slot& slot) {
  Job& job = *slot.job;
  if (job.cancelled()) return release(slot, ended("cancelled"));
  const GenRequest& r = job.request();
  Session& s = *slot.session;
  std::span<const float> logits;
  if (!slot.prefilled) {
    s.reset();
    logits = s.eval(r.prompt);
    for (int32_t id : r.prompt) slot.sampler->accept(id);
    slot.prefilled = true;
    std::lock_guard<std::mutex> lock(mu_);
    stats_.tokens_in += static_cast<int64_t>(r.prompt.size());
  } else {
    logits = s.eval(std::span<const int32_t>(&slot.to_feed, 1));
  }
  const int32_t next = slot.sampler->sample(logits);
  if (tok_.is_eog(next)) return release(slot, ended("stop"));
  ++slot.generated;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.tokens_out;
  }
  job.emit(slot.stop->push(slot.decoder->push(next)));
  if (slot.stop->matched()) return release(slot, ended("stop"));
  if (slot.generated >= r.max_tokens || s.n_past() >= s.n_ctx()) {
    return release(slot, ended("length"));
  }
  slot.to_feed = next;
}

}  // namespace tern::server
