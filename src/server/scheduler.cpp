#include "server/scheduler.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <future>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "generate/speculative.h"
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
  SampleLogprobs logprobs;                // the last sampled token's, when the request wants them
  int64_t prefilled = 0;                  // prompt tokens evaluated so far
  bool decoding = false;                  // prompt done; to_feed is evaluated next step
  int32_t to_feed = -1;                   // the last sampled token
  int64_t generated = 0;
  // The sequence: prompt, then every sampled token; while decoding its last element is
  // to_feed, and the session holds the positions before it.
  std::vector<int32_t> context;
  std::optional<gen::Speculator> spec;    // when drafts are on for this job
  RequestTally tally;                     // this job's CPU, energy and token times
};

Scheduler::Scheduler(std::shared_ptr<const Model> model, const tok::Tokenizer& tokenizer,
                     const SessionOptions& session, const SchedulerOptions& options)
    : model_(std::move(model)), tok_(tokenizer), max_queue_(options.max_queue), spec_(options.spec),
      acct_(options.powercap_root) {
  if (spec_) gen::validate(*spec_);
  const int n_slots = std::max(1, options.n_slots);
  const int64_t prefill_chunk = options.prefill_chunk;
  // One pool for the process: every slot's prefill and the batched step run on the same
  // threads (all on this scheduler's thread, one section at a time), so no other pool's
  // workers spin on the cores while a step runs.
  SessionOptions shared = session;
  if (!shared.pool) {
    shared.pool = make_thread_pool(session.n_threads);
    shared.n_threads = 0;
  }
  for (int i = 0; i < n_slots; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->session = std::make_unique<Session>(model_, shared);
    n_ctx_ = slot->session->n_ctx();
    slot->context.reserve(static_cast<size_t>(n_ctx_) + 1);
    slots_.push_back(std::move(slot));
  }
  prefill_chunk_ = prefill_chunk > 0 ? prefill_chunk : std::max<int64_t>(1, session.n_batch);
  batch_ = std::make_unique<BatchDecoder>(model_, n_slots, shared.pool);
  for (auto& slot : slots_) {
    reserved_.kv_bytes += slot->session->kv_bytes();
    reserved_.scratch_bytes += slot->session->scratch_bytes();
  }
  reserved_.scratch_bytes += batch_->scratch_bytes();
  live_.reserve(static_cast<size_t>(n_slots));
  live_ids_.reserve(static_cast<size_t>(n_slots));
  live_slots_.reserve(static_cast<size_t>(n_slots));
  // The warm-up runs on the scheduler thread itself: with one thread per pool it is the
  // thread that does all the work, and its thread-local kernel buffers count too.
  std::promise<void> reserved;
  std::future<void> ready = reserved.get_future();
  thread_ = std::thread([this, &reserved] {
    try {
      std::vector<Session*> all;
      for (auto& slot : slots_) all.push_back(slot->session.get());
      batch_->reserve(all);
      trim_heap();
      reserved.set_value();
    } catch (...) {
      reserved.set_exception(std::current_exception());
      return;
    }
    loop();
  });
  try {
    ready.get();
  } catch (...) {
    thread_.join();
    throw;
  }
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
  const bool cancelled = result.finish_reason == "cancelled";
  result.prompt_tokens = static_cast<int64_t>(slot.job->request().prompt.size());
  result.completion_tokens = slot.generated;
  const RequestUsage usage = acct_.finish(slot.tally, result.prompt_tokens);
  result.cpu_seconds = usage.cpu_seconds;
  result.energy_joules = usage.energy_joules;
  const std::shared_ptr<Job> job = std::move(slot.job);
  slot.job.reset();
  slot.spec.reset();  // refers to the sampler
  slot.sampler.reset();
  slot.decoder.reset();
  slot.stop.reset();
  slot.decoding = false;
  slot.session->reset();  // the KV cache positions are free for the next job
  // The books first, then the client: whoever reads the reply sees the slot free.
  active_.fetch_sub(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.jobs_done;
    if (cancelled) ++stats_.jobs_cancelled;
  }
  job->finish(std::move(result));
}

void Scheduler::take_jobs() {
  for (auto& slot : slots_) {
    if (slot->job || queue_.empty()) continue;
    slot->job = std::move(queue_.front());
    queue_.pop_front();
    const GenRequest& r = slot->job->request();
    slot->session->reset();
    slot->prefilled = 0;
    slot->decoding = false;
    slot->generated = 0;
    slot->to_feed = -1;
    slot->sampler.emplace(r.sampling, static_cast<int32_t>(slot->session->n_vocab()));
    slot->context.assign(r.prompt.begin(), r.prompt.end());
    // Drafts give no log-probabilities of their own: a request that wants them decodes plainly.
    if (spec_ && r.logprobs < 0) slot->spec.emplace(*slot->session, *slot->sampler, *spec_);
    slot->decoder.emplace(tok_, tok::Special::kSkip);
    slot->stop.emplace(r.stop);
    active_.fetch_add(1, std::memory_order_relaxed);
  }
}

// The requests' own allocations (JSON, text, token lists) are freed when they end, but
// glibc keeps the pages; once nothing has run for a second (the handler threads have
// written their last bytes too) they are returned, so an idle server is back to the RSS
// it started with.
void Scheduler::trim_heap() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto has_work = [&] { return stopping_ || !queue_.empty() || active_.load() > 0; };
      if (!trimmed_ && !cv_.wait_for(lock, std::chrono::seconds(1), has_work)) {
        lock.unlock();
        trim_heap();
        trimmed_ = true;
        lock.lock();
      }
      cv_.wait(lock, has_work);
      if (stopping_) return;
      take_jobs();
      trimmed_ = false;
    }
    Stopwatch sw;
    acct_.begin_step();
    for (auto& slot : slots_) {
      if (slot->job && slot->job->cancelled()) release(*slot, ended("cancelled"));
    }
    prefill_pass();
    decode_pass();
    acct_.end_step();
    std::lock_guard<std::mutex> lock(mu_);
    stats_.busy_seconds += sw.seconds();
  }
}

// New prompts, in chunks: at most prefill_chunk_ tokens per pass over all slots. A slot
// whose prompt is complete samples its first token and decodes from the next step on.
void Scheduler::prefill_pass() {
  int64_t budget = prefill_chunk_;
  for (auto& slot_ptr : slots_) {
    Slot& slot = *slot_ptr;
    if (!slot.job || slot.decoding) continue;
    if (budget <= 0) break;
    const std::vector<int32_t>& prompt = slot.job->request().prompt;
    const int64_t n = std::min<int64_t>(budget, static_cast<int64_t>(prompt.size()) - slot.prefilled);
    try {
      const std::span<const float> logits =
          slot.session->eval(std::span<const int32_t>(prompt.data() + slot.prefilled, static_cast<size_t>(n)));
      slot.prefilled += n;
      budget -= n;
      acct_.add_rows(slot.tally, n, /*prompt=*/true);
      {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.tokens_in += n;
      }
      if (slot.prefilled < static_cast<int64_t>(prompt.size())) continue;
      for (int32_t id : prompt) slot.sampler->accept(id);
      slot.decoding = true;
      after_eval(slot, logits);
    } catch (const std::exception& e) {
      release(slot, ended("error", e.what()));
    }
  }
}

// One batched decode step over every slot that has a token to feed.
void Scheduler::decode_pass() {
  live_.clear();
  live_ids_.clear();
  live_slots_.clear();
  for (auto& slot : slots_) {
    if (!slot->job || !slot->decoding) continue;
    live_.push_back(slot->session.get());
    live_ids_.push_back(slot->to_feed);
    live_slots_.push_back(slot.get());
  }
  if (live_.empty()) return;
  if (live_.size() == 1 && live_slots_[0]->spec) return speculate(*live_slots_[0]);
  try {
    const std::span<const float> logits = batch_->decode(live_, live_ids_);
    const size_t V = static_cast<size_t>(model_->hparams().n_vocab);
    for (Slot* slot : live_slots_) acct_.add_rows(slot->tally, 1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.decode_steps;
      stats_.decode_rows += static_cast<int64_t>(live_.size());
    }
    for (size_t i = 0; i < live_slots_.size(); ++i) {
      Slot& slot = *live_slots_[i];
      try {
        after_eval(slot, logits.subspan(i * V, V));
      } catch (const std::exception& e) {
        release(slot, ended("error", e.what()));
      }
    }
  } catch (const std::exception& e) {  // the step itself failed: every slot in it ends
    for (Slot* slot : live_slots_) release(*slot, ended("error", e.what()));
  }
}

// The lone decoding slot: its pending token and the drafts in one forward pass, then every
// token the step returned, in order, exactly as if each had been sampled by its own step.
void Scheduler::speculate(Slot& slot) {
  const GenRequest& r = slot.job->request();
  const auto is_stop = [&](int32_t id) { return !r.ignore_eos && tok_.is_eog(id); };
  try {
    const gen::SpecStats before = slot.spec->stats();
    const std::span<const int32_t> tokens = slot.spec->step(slot.context, r.max_tokens - slot.generated, is_stop);
    const gen::SpecStats& after = slot.spec->stats();
    acct_.add_rows(slot.tally, 1 + (after.drafted - before.drafted));
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.decode_steps;
      ++stats_.spec_steps;
      stats_.decode_rows += 1 + (after.drafted - before.drafted);
      stats_.spec_drafted += after.drafted - before.drafted;
      stats_.spec_accepted += after.accepted - before.accepted;
    }
    for (int32_t id : tokens) {
      if (!emit(slot, id, nullptr)) return;
    }
  } catch (const std::exception& e) {
    release(slot, ended("error", e.what()));
  }
}

void Scheduler::after_eval(Slot& slot, std::span<const float> logits) {
  const GenRequest& r = slot.job->request();
  const bool want_logprobs = r.logprobs >= 0;
  const int32_t next = slot.sampler->sample(logits, std::max(0, r.logprobs), want_logprobs ? &slot.logprobs : nullptr);
  emit(slot, next, want_logprobs ? &slot.logprobs : nullptr);
}

bool Scheduler::emit(Slot& slot, int32_t next, const SampleLogprobs* logprobs) {
  const GenRequest& r = slot.job->request();
  // The end-of-generation token is not part of the reply, so it gets no log-probability entry.
  if (!r.ignore_eos && tok_.is_eog(next)) {
    release(slot, ended("stop"));
    return false;
  }
  ++slot.generated;
  acct_.token(slot.tally);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.tokens_out;
  }
  slot.job->emit(slot.stop->push(slot.decoder->push(next)), logprobs);
  slot.context.push_back(next);
  if (slot.stop->matched()) {
    release(slot, ended("stop"));
    return false;
  }
  // The token just sampled would be evaluated at position context.size() - 1.
  if (slot.generated >= r.max_tokens || static_cast<int64_t>(slot.context.size()) - 1 >= slot.session->n_ctx()) {
    release(slot, ended("length"));
    return false;
  }
  slot.to_feed = next;
  return true;
}

}  // namespace tern::server
