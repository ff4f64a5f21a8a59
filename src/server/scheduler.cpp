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
  int64_t prefilled = 0;                  // prompt tokens in the KV cache so far (reused + evaluated)
  int64_t reused = 0;                     // prompt tokens the KV cache held already (not evaluated)
  uint64_t last_used = 0;                 // Scheduler::tick_ when it took its last job
  bool decoding = false;                  // prompt done; context.back() is evaluated next step
  int64_t generated = 0;
  // The sequence: prompt, then every sampled token; while decoding its last element is the
  // token to feed next, and the session holds the positions before it. While the slot is free: exactly
  // the tokens its KV cache holds (session->n_past() == context.size()), for the next job.
  std::vector<int32_t> context;
  std::optional<gen::Speculator> spec;    // when drafts are on for this job
  RequestTally tally;                     // this job's CPU, energy and token times
};

Scheduler::Scheduler(std::shared_ptr<const Model> model, const tok::Tokenizer& tokenizer,
                     const SessionOptions& session, const SchedulerOptions& options)
    : model_(std::move(model)),
      tok_(tokenizer),
      max_queue_(options.max_queue),
      spec_(options.spec),
      prefix_reuse_(options.prefix_reuse),
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
  // Prompts go through the batched step (prefill_step), so a slot's own session evaluates
  // at most a speculative step's rows (the pending token and its drafts): its scratch is
  // sized for that, and the batched step's for a prefill step.
  prefill_chunk_ = prefill_chunk > 0 ? prefill_chunk : std::max<int64_t>(1, session.n_batch);
  const int64_t prefill_rows = std::max<int64_t>(1, std::min(prefill_chunk_, session.n_batch));
  SessionOptions slot_session = shared;
  slot_session.n_batch = spec_ ? int64_t{spec_->draft_max} + 1 : 2;
  for (int i = 0; i < n_slots; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->session = std::make_unique<Session>(model_, slot_session);
    n_ctx_ = slot->session->n_ctx();
    slot->context.reserve(static_cast<size_t>(n_ctx_) + 1);
    slots_.push_back(std::move(slot));
  }
  batch_ = std::make_unique<BatchDecoder>(model_, n_slots, shared.pool, std::max<int64_t>(n_slots, prefill_rows));
  for (auto& slot : slots_) {
    reserved_.kv_bytes += slot->session->kv_bytes();
    reserved_.scratch_bytes += slot->session->scratch_bytes();
  }
  reserved_.scratch_bytes += batch_->scratch_bytes();
  live_.reserve(static_cast<size_t>(n_slots));
  live_ids_.reserve(static_cast<size_t>(n_slots));
  live_slots_.reserve(static_cast<size_t>(n_slots));
  free_slots_.reserve(static_cast<size_t>(n_slots));
  free_view_.reserve(static_cast<size_t>(n_slots));
  fill_slots_.reserve(static_cast<size_t>(n_slots));
  fill_runs_.reserve(static_cast<size_t>(n_slots));
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
  result.cached_tokens = slot.reused;
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
  // The KV cache is kept for the next job (take_jobs) as far as `context` names what it
  // holds: a speculative step may have evaluated tokens after a stop text that ended the
  // reply, and the token sampled last was never evaluated. After a failure nothing in it is
  // trusted.
  const bool keep = prefix_reuse_ && result.finish_reason != "error";
  const int64_t held = keep ? std::min(slot.session->n_past(), static_cast<int64_t>(slot.context.size())) : 0;
  slot.session->truncate(held);
  slot.context.resize(static_cast<size_t>(held));
  // The books first, then the client: whoever reads the reply sees the slot free.
  active_.fetch_sub(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.jobs_done;
    if (cancelled) ++stats_.jobs_cancelled;
  }
  job->finish(std::move(result));
}

// Oldest job first, each to the free slot that holds the longest prefix of its prompt.
void Scheduler::take_jobs() {
  while (!queue_.empty()) {
    free_slots_.clear();
    free_view_.clear();
    for (auto& slot : slots_) {
      if (slot->job) continue;
      free_slots_.push_back(slot.get());
      free_view_.push_back({slot->context, slot->last_used});
    }
    if (free_slots_.empty()) return;
    const SlotChoice c = choose_slot(free_view_, queue_.front()->request().prompt, prefix_reuse_);
    std::shared_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    start(*free_slots_[c.index], std::move(job), c.reused);
  }
}

// The slot's KV cache keeps its first `reused` positions (the prompt's first tokens); the
// prompt is evaluated from there. The sampler still sees the whole prompt (prefill_step).
void Scheduler::start(Slot& slot, std::shared_ptr<Job> job, int64_t reused) {
  slot.job = std::move(job);
  const GenRequest& r = slot.job->request();
  slot.session->truncate(reused);
  slot.reused = reused;
  slot.prefilled = reused;
  slot.last_used = ++tick_;
  slot.decoding = false;
  slot.generated = 0;
  slot.sampler.emplace(r.sampling, static_cast<int32_t>(slot.session->n_vocab()));
  slot.context.assign(r.prompt.begin(), r.prompt.end());
  // Drafts give no log-probabilities of their own: a request that wants them decodes plainly.
  if (spec_ && r.logprobs < 0) slot.spec.emplace(*slot.session, *slot.sampler, *spec_);
  slot.decoder.emplace(tok_, tok::Special::kSkip);
  slot.stop.emplace(r.stop);
  stats_.tokens_reused += reused;
  active_.fetch_add(1, std::memory_order_relaxed);
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

// New prompts, in chunks: at most prefill_chunk_ tokens per pass over all slots, in forward
// passes of at most the batched step's max_rows rows. A slot whose prompt is complete
// samples its first token and decodes from the next step on.
void Scheduler::prefill_pass() {
  int64_t budget = prefill_chunk_;
  while (budget > 0) {
    const int64_t rows = std::min(budget, batch_->max_rows());
    if (!prefill_step(rows)) return;
    budget -= rows;
  }
}

// The prompts still to evaluate share `rows` token rows, earliest admitted job first (so a
// burst of new requests gets its first tokens in arrival order), in one BatchDecoder::prefill.
bool Scheduler::prefill_step(int64_t rows) {
  fill_slots_.clear();
  for (auto& slot : slots_)
    if (slot->job && !slot->decoding) fill_slots_.push_back(slot.get());
  if (fill_slots_.empty()) return false;
  std::sort(fill_slots_.begin(), fill_slots_.end(),
            [](const Slot* a, const Slot* b) { return a->last_used < b->last_used; });
  fill_runs_.clear();
  int64_t room = rows, used = 0;
  for (Slot* slot : fill_slots_) {
    if (room == 0) break;
    const std::vector<int32_t>& prompt = slot->job->request().prompt;
    const int64_t n = std::min<int64_t>(room, static_cast<int64_t>(prompt.size()) - slot->prefilled);
    const std::span<const int32_t> rest(prompt.data() + slot->prefilled, static_cast<size_t>(n));
    fill_runs_.push_back({slot->session.get(), rest});
    room -= n;
    used += n;
  }
  fill_slots_.resize(fill_runs_.size());
  std::span<const float> logits;
  try {
    logits = batch_->prefill(fill_runs_);
  } catch (const std::exception& e) {  // the step failed: every prompt in it ends
    for (Slot* slot : fill_slots_) release(*slot, ended("error", e.what()));
    return true;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.tokens_in += used;
    ++stats_.prefill_steps;
  }
  const size_t V = static_cast<size_t>(model_->hparams().n_vocab);
  for (size_t i = 0; i < fill_slots_.size(); ++i) {
    Slot& slot = *fill_slots_[i];
    const std::vector<int32_t>& prompt = slot.job->request().prompt;
    slot.prefilled += static_cast<int64_t>(fill_runs_[i].ids.size());
    acct_.add_rows(slot.tally, static_cast<int64_t>(fill_runs_[i].ids.size()), /*prompt=*/true);
    if (slot.prefilled < static_cast<int64_t>(prompt.size())) continue;
    try {
      for (int32_t id : prompt) slot.sampler->accept(id);
      slot.decoding = true;
      after_eval(slot, logits.subspan(i * V, V));
    } catch (const std::exception& e) {
      release(slot, ended("error", e.what()));
    }
  }
  return true;
}

// One batched decode step over every slot that has a token to feed.
void Scheduler::decode_pass() {
  live_.clear();
  live_ids_.clear();
  live_slots_.clear();
  for (auto& slot : slots_) {
    if (!slot->job || !slot->decoding) continue;
    live_.push_back(slot->session.get());
    live_ids_.push_back(slot->context.back());
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
  return true;
}

}  // namespace tern::server
