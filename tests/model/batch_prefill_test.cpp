// BatchDecoder::prefill: the prompts of several sessions in one forward pass. Each run's
// last-position logits are bit-identical (memcmp) to Session::eval of the same ids in a
// session alone, for sessions with different histories and run lengths, over several steps
// with changing membership, on every golden model, every kernel this CPU runs, f16 and f32
// KV caches; the KV cache it writes is the one a lone prefill writes (a decode step after it
// is bit-identical too); bad input throws without evaluating anything.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "golden_params.h"
#include "model_test_util.h"
#include "tern/batch.h"
#include "tern/error.h"

namespace tern::test {
namespace {

std::vector<int32_t> long_sequence(const std::string& model) {
  for (const auto& seq : golden_json(model)["sequences"])
    if (seq["name"] == "len200") return seq["ids"].get<std::vector<int32_t>>();
  throw Error(model + ": no sequence len200");
}

SessionOptions opts(KvType kv, std::shared_ptr<ThreadPool> pool = nullptr) {
  SessionOptions o;
  o.kv_type = kv;
  o.n_ctx = 128;
  o.n_batch = 8;  // the lone prefills below take several chunks; the batched step does not
  if (pool) {
    o.pool = std::move(pool);
  } else {
    o.n_threads = 1;
  }
  return o;
}

// ids[begin, begin + n) of the sequence, wrapped around.
std::vector<int32_t> slice(const std::vector<int32_t>& ids, size_t begin, size_t n) {
  std::vector<int32_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back(ids[(begin + i) % ids.size()]);
  return out;
}

struct Step {
  std::vector<size_t> sessions;  // which sessions take part
  std::vector<size_t> lengths;   // how many ids each evaluates
};

void check_model_kernel_kv(const std::string& name, const kernels::Kernel& kernel, KvType kv) {
  SCOPED_TRACE(name + " kernel " + kernel.name + " kv " + kv_type_name(kv));
  ModelOptions mo;
  mo.kernel = kernel.name;
  auto m = Model::load(golden_gguf(name), mo);
  const std::vector<int32_t> ids = long_sequence(name);
  const size_t V = static_cast<size_t>(m->hparams().n_vocab);
  constexpr size_t kSessions = 4;
  // The batched sessions share a 2-thread pool with the decoder (tern serve's layout); each
  // reference session prefills alone on its own single thread.
  auto pool = make_thread_pool(2);
  std::vector<std::unique_ptr<Session>> batched, alone;
  const size_t history[kSessions] = {0, 3, 0, 21};  // tokens each holds before the first step
  for (size_t i = 0; i < kSessions; ++i) {
    batched.push_back(std::make_unique<Session>(m, opts(kv, pool)));
    alone.push_back(std::make_unique<Session>(m, opts(kv)));
    if (history[i] == 0) continue;
    const std::vector<int32_t> h = slice(ids, 50 * i, history[i]);
    batched[i]->eval(h);
    alone[i]->eval(h);
  }
  BatchDecoder dec(m, kSessions, pool, /*max_rows=*/48);
  // Lengths 1 (a decode-like row), odd sizes, one run longer than a lone prefill's chunk.
  const Step steps[] = {{{0, 1, 2, 3}, {1, 7, 17, 12}},  // 37 rows
                        {{2, 0, 3}, {5, 30, 1}},          // another order, 36 rows
                        {{1}, {9}},                       // a step of one session
                        {{3, 1, 0, 2}, {2, 11, 13, 22}}};  // 48 rows: exactly max_rows
  size_t cursor = 7;
  int64_t rows_checked = 0;
  for (size_t si = 0; si < std::size(steps); ++si) {
    const Step& st = steps[si];
    std::vector<std::vector<int32_t>> prompts;
    for (size_t r = 0; r < st.sessions.size(); ++r) {
      prompts.push_back(slice(ids, cursor, st.lengths[r]));
      cursor += 13;
    }
    std::vector<PrefillRun> runs;
    for (size_t r = 0; r < st.sessions.size(); ++r) runs.push_back({batched[st.sessions[r]].get(), prompts[r]});
    const std::span<const float> got = dec.prefill(runs);
    ASSERT_EQ(got.size(), runs.size() * V);
    const std::vector<float> got_copy(got.begin(), got.end());
    for (size_t r = 0; r < st.sessions.size(); ++r) {
      Session& ref = *alone[st.sessions[r]];
      const std::span<const float> want = ref.eval(prompts[r]);
      EXPECT_EQ(batched[st.sessions[r]]->n_past(), ref.n_past());
      EXPECT_EQ(std::memcmp(got_copy.data() + r * V, want.data(), V * sizeof(float)), 0)
          << "step " << si << " run " << r << " (session " << st.sessions[r] << ", " << prompts[r].size() << " ids)";
      ++rows_checked;
    }
  }
  // The KV caches the batched steps wrote: a decode step of every session reads them all.
  std::vector<Session*> live;
  std::vector<int32_t> next;
  for (size_t i = 0; i < kSessions; ++i) {
    live.push_back(batched[i].get());
    next.push_back(ids[(cursor + i) % ids.size()]);
  }
  const std::vector<float> got = [&] {
    const std::span<const float> l = dec.decode(live, next);
    return std::vector<float>(l.begin(), l.end());
  }();
  for (size_t i = 0; i < kSessions; ++i) {
    const std::span<const float> want = alone[i]->eval(std::span<const int32_t>(&next[i], 1));
    EXPECT_EQ(std::memcmp(got.data() + i * V, want.data(), V * sizeof(float)), 0)
        << "decode after prefill, session " << i;
    ++rows_checked;
  }
  EXPECT_EQ(rows_checked, 12 + static_cast<int64_t>(kSessions));  // 12 runs in the steps
}

TEST(BatchPrefill, RunsEqualSessionsPrefilledAlone) {
  const std::vector<const kernels::Kernel*> kernels = runnable_kernels();
  ASSERT_FALSE(kernels.empty());
  for (const std::string& name : known_golden_models()) {
    for (const kernels::Kernel* k : kernels) {
      for (KvType kv : {KvType::F32, KvType::F16}) check_model_kernel_kv(name, *k, kv);
    }
  }
}

// reserve() makes every page a step will use resident and leaves the sessions empty; a
// prefill step afterwards still equals a lone prefill.
TEST(BatchPrefill, ReserveLeavesSessionsEmptyAndStepsExact) {
  auto m = Model::load(golden_gguf("tiny-b"));
  const std::vector<int32_t> ids = long_sequence("tiny-b");
  const size_t V = static_cast<size_t>(m->hparams().n_vocab);
  auto pool = make_thread_pool(2);
  Session a(m, opts(KvType::F16, pool)), b(m, opts(KvType::F16, pool)), ref(m, opts(KvType::F16));
  BatchDecoder dec(m, 2, pool, 40);
  EXPECT_EQ(dec.max_batch(), 2);
  EXPECT_EQ(dec.max_rows(), 40);
  Session* both[] = {&a, &b};
  EXPECT_GT(dec.reserve(both), a.kv_bytes() + b.kv_bytes());
  EXPECT_EQ(a.n_past(), 0);
  EXPECT_EQ(b.n_past(), 0);
  const std::vector<int32_t> pa = slice(ids, 0, 25), pb = slice(ids, 90, 15);
  const PrefillRun runs[] = {{&a, pa}, {&b, pb}};
  const std::vector<float> got = [&] {
    const std::span<const float> l = dec.prefill(runs);
    return std::vector<float>(l.begin(), l.end());
  }();
  const std::span<const float> want = ref.eval(pb);
  EXPECT_EQ(std::memcmp(got.data() + V, want.data(), V * sizeof(float)), 0);
}

TEST(BatchPrefill, BadInputThrowsWithoutEvaluating) {
  auto m = Model::load(converted_model("tiny-a"));
  auto other = Model::load(converted_model("tiny-b"));
  const int32_t V = static_cast<int32_t>(m->hparams().n_vocab);
  Session a(m, opts(KvType::F32)), b(m, opts(KvType::F32)), c(m, opts(KvType::F32));
  Session foreign(other, opts(KvType::F32));
  SessionOptions small = opts(KvType::F32);
  small.n_ctx = 4;
  Session tight(m, small);
  BatchDecoder dec(m, 2, make_thread_pool(1), 8);
  const std::vector<int32_t> three = {1, 2, 3}, six = {1, 2, 3, 4, 5, 6}, bad = {1, V}, negative = {-1};
  const std::vector<std::pair<std::vector<PrefillRun>, std::string>> cases = {
      {{}, "no runs given"},
      {{{&a, three}, {&b, three}, {&c, three}}, "3 sessions exceed max_batch 2"},
      {{{&a, three}, {&b, six}}, "9 token rows exceed max_rows 8"},
      {{{&a, three}, {&a, three}}, "run 1: the same session as run 0"},
      {{{&a, three}, {&foreign, three}}, "run 1: the session belongs to another model"},
      {{{&a, three}, {nullptr, three}}, "run 1: the session is null"},
      {{{&a, {}}}, "run 0: no token ids"},
      {{{&a, three}, {&tight, six}}, "run 1: 0 tokens evaluated + 6 new exceed the context length 4"},
      {{{&a, bad}}, "run 0: token id " + std::to_string(V) + " at index 1 is outside the vocabulary"},
      {{{&b, negative}}, "run 0: token id -1 at index 0 is outside the vocabulary"},
  };
  for (const auto& [runs, words] : cases) {
    try {
      dec.prefill(runs);
      ADD_FAILURE() << "accepted; expected: " << words;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(a.n_past(), 0);
  EXPECT_EQ(b.n_past(), 0);
  EXPECT_EQ(tight.n_past(), 0);
  EXPECT_THROW(BatchDecoder(m, 2, make_thread_pool(1), -1), Error);
  EXPECT_THROW(BatchDecoder(m, 2, make_thread_pool(1), 65537), Error);
  // Rows beyond max_rows but within max_batch's rows: max_rows 0 means max_batch rows.
  BatchDecoder rows_of_batch(m, 2, make_thread_pool(1));
  EXPECT_EQ(rows_of_batch.max_rows(), 2);
  const std::vector<PrefillRun> ok = {{&a, std::span<const int32_t>(three.data(), 1)},
                                      {&b, std::span<const int32_t>(three.data(), 1)}};
  EXPECT_EQ(rows_of_batch.prefill(ok).size(), static_cast<size_t>(2 * V));
  EXPECT_EQ(a.n_past(), 1);
  EXPECT_EQ(b.n_past(), 1);
}

}  // namespace
}  // namespace tern::test
