// The scheduler: N slots, each with its own Session (KV cache), and one thread that runs
// them with continuous batching on one thread pool (shared by every slot and the batched
// step). Each pass of the loop
//   1. takes waiting jobs into free slots and frees the slots of cancelled jobs. A slot
//      keeps its KV cache (and the token ids in it) when its job ends; a new job goes to
//      the free slot holding the longest prefix of its prompt (slot_choice.h) and
//      evaluates only the rest: a chat's next turn skips the whole conversation so far, a
//      shared system prompt is evaluated once per slot (SchedulerOptions::prefix_reuse),
//   2. prefills new prompts, at most prefill_chunk prompt tokens per pass (a long prompt
//      is evaluated in chunks between decode steps, so it stalls the others only briefly);
//      the prompts of several new jobs go through one forward pass together
//      (BatchDecoder::prefill: one GEMM per weight matrix for all their rows), earliest
//      admitted first,
//   3. runs ONE batched decode step (tern::BatchDecoder) for every slot that has a token
//      to feed: one GEMM per weight matrix for all of them, attention per slot. With
//      speculative decoding on (SchedulerOptions::spec), a slot decoding ALONE evaluates its
//      token with drafts from its context instead (src/generate/speculative.h): one weight
//      read for several positions. With two or more slots decoding, the batched step already
//      shares each weight read among them, so they step one token each as without it.
// A slot is freed as soon as its job ends, is cancelled (client gone) or fails; a failed
// job's slot also forgets its KV cache.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>
#include "generate/draft.h"
#include "server/accounting.h"
#include "server/job.h"
#include "server/slot_choice.h"
#include "tern/batch.h"
#include "tern/session.h"
#include "tern/tokenizer.h"

namespace tern::server {

struct SchedulerStats {
  int64_t tokens_in = 0;        // prompt tokens evaluated
  int64_t tokens_reused = 0;    // prompt tokens found in a slot's KV cache, not evaluated
  int64_t prefill_steps = 0;    // forward passes over new prompts' tokens (several prompts each)
  int64_t tokens_out = 0;       // tokens generated
  double busy_seconds = 0;      // time spent stepping slots
  int64_t jobs_done = 0;
  int64_t jobs_cancelled = 0;   // client gone (or server stopping) before the end
  int64_t decode_steps = 0;     // batched decode steps
  int64_t decode_rows = 0;      // slot rows in them (rows / steps = mean batch size)
  int64_t spec_steps = 0;       // decode steps of a slot alone with drafts (in decode_steps)
  int64_t spec_drafted = 0;     // draft tokens evaluated in them
  int64_t spec_accepted = 0;    // drafts the sampler agreed with (emitted without a pass of their own)
};

struct SchedulerOptions {
  int n_slots = 1;
  size_t max_queue = 16;
  int64_t prefill_chunk = 0;             // prompt tokens evaluated per pass at most (0 = session.n_batch)
  std::optional<gen::DraftConfig> spec;  // speculative decoding of a lone slot; nullopt = off
  std::string powercap_root = EnergyMeter::kDefaultRoot;  // RAPL counters for per-request energy
  bool prefix_reuse = true;              // keep slots' KV caches for the next jobs' prompts
};

// Memory the scheduler made resident at start (Scheduler's constructor), for the log line.
struct ReservedMemory {
  uint64_t kv_bytes = 0;       // every slot's whole KV cache
  uint64_t scratch_bytes = 0;  // slots' and the batched step's activation buffers
};

class Scheduler {
 public:
  // Everything the slots will use is allocated and touched here (BatchDecoder::reserve), so
  // serving does not grow the process; when the scheduler has been idle for a second it
  // hands the freed heap pages of the finished requests back to the OS (malloc_trim).
  Scheduler(std::shared_ptr<const Model> model, const tok::Tokenizer& tokenizer, const SessionOptions& session,
            const SchedulerOptions& options);
  ~Scheduler();  // stops the thread; jobs still queued or running finish as "cancelled"
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a job; false when the queue already holds max_queue jobs.
  bool submit(std::shared_ptr<Job> job);

  size_t queue_depth() const;
  int active_slots() const { return active_.load(std::memory_order_relaxed); }
  int n_slots() const { return static_cast<int>(slots_.size()); }
  int64_t n_ctx() const { return n_ctx_; }
  SchedulerStats stats() const;
  const ReservedMemory& reserved() const { return reserved_; }
  // CPU-seconds and energy per request, inter-token latency (server/accounting.h).
  const Accounting& accounting() const { return acct_; }

 private:
  struct Slot;
  void loop();
  void take_jobs();                  // with mu_ held
  void start(Slot& slot, std::shared_ptr<Job> job, int64_t reused);  // with mu_ held
  void prefill_pass();
  bool prefill_step(int64_t rows);  // one forward pass over <= rows prompt tokens; false: none left
  void decode_pass();
  void speculate(Slot& slot);  // one step of a lone slot with drafts
  // Samples the next token from `logits`, passes its text on, frees the slot at the end.
  void after_eval(Slot& slot, std::span<const float> logits);
  // Passes a sampled token on; false when it ended the job (the slot is then free).
  bool emit(Slot& slot, int32_t token, const SampleLogprobs* logprobs);
  void release(Slot& slot, GenResult result);
  static void trim_heap();

  std::shared_ptr<const Model> model_;
  const tok::Tokenizer& tok_;
  size_t max_queue_;
  std::optional<gen::DraftConfig> spec_;
  bool prefix_reuse_ = true;
  int64_t n_ctx_ = 0;
  int64_t prefill_chunk_ = 0;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<BatchDecoder> batch_;
  std::vector<Session*> live_;      // decode step: slots' sessions, their tokens, the slots
  std::vector<int32_t> live_ids_;
  std::vector<Slot*> live_slots_;
  std::vector<Slot*> free_slots_;   // take_jobs: the free slots and what they hold
  std::vector<FreeSlot> free_view_;
  std::vector<Slot*> fill_slots_;   // prefill step: slots with prompt left, their runs
  std::vector<PrefillRun> fill_runs_;
  uint64_t tick_ = 0;               // jobs taken so far (a slot's last_used)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  std::atomic<int> active_{0};
  SchedulerStats stats_;  // guarded by mu_
  ReservedMemory reserved_;
  Accounting acct_;       // stepped on the scheduler thread only
  bool trimmed_ = true;   // heap trimmed since the last work (scheduler thread only)
  std::thread thread_;
};

}  // namespace tern::server
