// tern::Session: one conversation with a model — its KV cache and scratch buffers, run on a
// thread pool it borrows (or owns). Feed it token ids; it returns logits.
//
//   tern::Session s(model, {.kv_type = tern::KvType::F32, .n_threads = 2});
//   auto logits = s.eval(prompt_ids);      // prefill (batched GEMM); logits of the last id
//   logits = s.eval(std::span(&next, 1));  // decode (GEMV); positions continue at n_past()
//   s.truncate(n);                         // forget everything after the first n tokens
//
// Every buffer is allocated in the constructor; eval allocates nothing unless every
// position's logits are asked for. A Session is not thread-safe; several Sessions may share
// one Model and one ThreadPool (make_thread_pool: what `tern serve` does, so that the
// process has one set of worker threads). tern::BatchDecoder (tern/batch.h) decodes one token of several Sessions in one
// pass through the weights.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "tern/model.h"

namespace tern {

namespace model {
struct SessionState;  // src/model/session_state.h
}

// The worker threads of a forward pass (src/runtime/thread_pool.h). Sessions and
// BatchDecoders given the same pool share its threads; the pool runs one parallel section
// at a time, so everything sharing it must be driven from one thread at a time (a call from
// a second thread while a section runs is not an error: it runs serially on that thread).
class ThreadPool;
// n_threads counts the calling thread; 0 = all hardware threads.
std::shared_ptr<ThreadPool> make_thread_pool(int n_threads = 0);

enum class KvType { F16, F32 };
const char* kv_type_name(KvType t);

struct SessionOptions {
  int64_t n_ctx = 0;        // KV cache positions; 0 = the model's context length
  KvType kv_type = KvType::F16;
  int n_threads = 0;        // 0 = all hardware threads (for a pool of its own)
  // A pool shared with other sessions and BatchDecoders; null = the session makes its own
  // of n_threads. With a pool, n_threads must be 0 or the pool's size (else tern::Error).
  std::shared_ptr<ThreadPool> pool;
  int64_t n_batch = 64;     // prefill batch (tokens per GEMM)
};

// Called for every evaluated position with the residual stream: index 0 = embedding
// output, 1..n_layer = after each decoder layer, n_layer + 1 = after the final RMSNorm.
using HiddenHook = std::function<void(int index, int64_t position, std::span<const float> h)>;

class BatchDecoder;  // tern/batch.h

class Session {
 public:
  Session(std::shared_ptr<const Model> model, const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Evaluates `ids` at positions n_past() .. n_past()+n-1 and returns the logits of the
  // last one (n_vocab floats, valid until the next call). Throws tern::Error if the ids do
  // not fit in the context (nothing is evaluated then) or an id is out of range.
  std::span<const float> eval(std::span<const int32_t> ids);
  // The same, returning the logits of every position: ids.size() x n_vocab, row-major.
  std::span<const float> eval_all(std::span<const int32_t> ids);

  int64_t n_past() const;
  int64_t n_ctx() const;
  int64_t n_vocab() const;
  // Keeps the first n positions (n <= n_past()); later eval continues from there.
  void truncate(int64_t n);
  void reset() { truncate(0); }

  const Model& model() const { return *model_; }
  const SessionOptions& options() const { return options_; }
  int n_threads() const;
  // Bytes held by the KV cache and the scratch buffers.
  uint64_t kv_bytes() const;
  uint64_t scratch_bytes() const;

  // Debug / test hook on the residual stream (nullptr to remove). Slows eval down.
  void set_hidden_hook(HiddenHook hook);

 private:
  friend class BatchDecoder;  // evaluates rows in this session's KV cache
  std::span<const float> run(std::span<const int32_t> ids, bool all_logits);
  std::shared_ptr<const Model> model_;
  SessionOptions options_;
  std::unique_ptr<model::SessionState> state_;
};

}  // namespace tern
