// tern::BatchDecoder: a row's logits in a batched decode step are bit-identical to those of
// the same session decoded alone (Session::eval of one token), with sessions at different
// positions, changing batch membership, f16 and f32 KV caches, 1 and 2 threads; bad input
// throws without evaluating anything.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "model_test_util.h"
#include "tern/batch.h"
#include "tern/error.h"

namespace tern::test {
namespace {

SessionOptions opts(int threads, KvType kv) {
  SessionOptions o;
  o.kv_type = kv;
  o.n_threads = threads;
  o.n_ctx = 96;
  o.n_batch = 16;
  return o;
}

std::vector<int32_t> sequence(const std::string& model) {
  for (const auto& seq : golden_json(model)["sequences"])
    if (seq["name"] == "len33") return seq["ids"].get<std::vector<int32_t>>();
  throw Error("no sequence len33");
}

// First index where a and b differ bitwise, or -1.
int64_t first_bit_difference(const float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (std::memcmp(a + i, b + i, sizeof(float)) != 0) return i;
  return -1;
}

// shared_pool: the batched sessions and the decoder borrow one pool (as tern serve runs
// them); else each owns its own. The sessions decoded alone always own theirs.
void check_batched_equals_alone(const std::string& name, int threads, KvType kv, bool shared_pool = false) {
  SCOPED_TRACE(name + " threads=" + std::to_string(threads) + " kv=" + kv_type_name(kv) +
               (shared_pool ? " shared pool" : ""));
  auto m = Model::load(converted_model(name));
  const std::vector<int32_t> ids = sequence(name);
  const int64_t V = m->hparams().n_vocab;
  const int64_t prompt_len[] = {1, 5, 17, 33};  // the last one is longer than n_batch: two chunks
  constexpr size_t kSessions = 4;
  std::vector<std::unique_ptr<Session>> batched, alone;
  SessionOptions batched_opts = opts(threads, kv);
  if (shared_pool) batched_opts.pool = make_thread_pool(threads);
  for (size_t i = 0; i < kSessions; ++i) {
    batched.push_back(std::make_unique<Session>(m, batched_opts));
    alone.push_back(std::make_unique<Session>(m, opts(threads, kv)));
    const std::span<const int32_t> prompt(ids.data(), static_cast<size_t>(prompt_len[i]));
    batched[i]->eval(prompt);
    alone[i]->eval(prompt);
  }
  BatchDecoder dec = shared_pool ? BatchDecoder(m, kSessions, batched_opts.pool) : BatchDecoder(m, kSessions, threads);
  int64_t rows_checked = 0;
  for (int step = 0; step < 12; ++step) {
    // Membership changes from step to step, so positions drift apart and batch sizes vary.
    std::vector<Session*> live;
    std::vector<int32_t> next;
    std::vector<size_t> which;
    for (size_t i = 0; i < kSessions; ++i) {
      if ((static_cast<size_t>(step) + i) % 3 == 2) continue;
      live.push_back(batched[i].get());
      next.push_back(ids[static_cast<size_t>(step * 7 + static_cast<int>(i) * 3) % ids.size()]);
      which.push_back(i);
    }
    const std::span<const float> got = dec.decode(live, next);
    ASSERT_EQ(got.size(), live.size() * static_cast<size_t>(V));
    const std::vector<float> got_copy(got.begin(), got.end());
    for (size_t r = 0; r < live.size(); ++r) {
      Session& ref = *alone[which[r]];
      const std::span<const float> want = ref.eval(std::span<const int32_t>(&next[r], 1));
      EXPECT_EQ(live[r]->n_past(), ref.n_past());
      const int64_t diff = first_bit_difference(got_copy.data() + static_cast<int64_t>(r) * V, want.data(), V);
      EXPECT_EQ(diff, -1) << "step " << step << " session " << which[r] << " position " << ref.n_past() - 1;
      ++rows_checked;
    }
  }
  EXPECT_GT(rows_checked, 24);
}

TEST(BatchDecode, RowsEqualSessionsDecodedAlone) {
  for (const char* name : {"tiny-a", "tiny-b"}) {
    for (int threads : {1, 2}) {
      for (KvType kv : {KvType::F32, KvType::F16}) check_batched_equals_alone(name, threads, kv);
    }
  }
}

// One pool for every session and the decoder (tern serve's layout): same bits.
TEST(BatchDecode, SharedPoolRowsEqualSessionsDecodedAlone) {
  for (int threads : {1, 2}) check_batched_equals_alone("tiny-b", threads, KvType::F16, /*shared_pool=*/true);
  check_batched_equals_alone("tiny-a", 2, KvType::F32, /*shared_pool=*/true);
}

// Threads of this process (Linux: one /proc/self/task entry each).
int64_t process_threads() {
  int64_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST(BatchDecode, SharedPoolIsReallyShared) {
  auto m = Model::load(converted_model("tiny-a"));
  const int64_t before = process_threads();
  auto pool = make_thread_pool(2);
  SessionOptions o = opts(0, KvType::F32);
  o.pool = pool;
  Session a(m, o), b(m, o);
  BatchDecoder dec(m, 2, pool);
  EXPECT_EQ(a.n_threads(), 2);
  EXPECT_EQ(dec.n_threads(), 2);
  EXPECT_EQ(process_threads() - before, 1);  // the pool's one worker; no session or decoder made its own
  o.n_threads = 2;                 // agrees with the pool: fine
  EXPECT_NO_THROW(Session(m, o));
  o.n_threads = 3;                 // contradicts it: refused, naming both
  try {
    Session bad(m, o);
    ADD_FAILURE() << "n_threads 3 with a 2-thread pool was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_threads 3 differs from the shared pool's 2 threads"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(BatchDecoder(m, 2, std::shared_ptr<ThreadPool>()), Error);
}

// A batch of one is a plain decode step too.
TEST(BatchDecode, BatchOfOneEqualsEval) {
  auto m = Model::load(converted_model("tiny-b"));
  const std::vector<int32_t> ids = sequence("tiny-b");
  Session a(m, opts(2, KvType::F32)), b(m, opts(2, KvType::F32));
  a.eval(std::span<const int32_t>(ids.data(), 9));
  b.eval(std::span<const int32_t>(ids.data(), 9));
  BatchDecoder dec(m, 8, 2);
  Session* one[] = {&a};
  const std::vector<float> got = [&] {
    auto l = dec.decode(one, std::span<const int32_t>(&ids[9], 1));
    return std::vector<float>(l.begin(), l.end());
  }();
  const std::span<const float> want = b.eval(std::span<const int32_t>(&ids[9], 1));
  EXPECT_EQ(first_bit_difference(got.data(), want.data(), m->hparams().n_vocab), -1);
}

TEST(BatchDecode, BadInputThrowsWithoutEvaluating) {
  auto m = Model::load(converted_model("tiny-a"));
  auto other = Model::load(converted_model("tiny-b"));
  const int64_t V = m->hparams().n_vocab;
  Session a(m, opts(1, KvType::F32)), b(m, opts(1, KvType::F32)), c(m, opts(1, KvType::F32));
  Session foreign(other, opts(1, KvType::F32));
  SessionOptions tiny = opts(1, KvType::F32);
  tiny.n_ctx = 2;
  Session full(m, tiny);
  const int32_t two[] = {1, 2};
  full.eval(two);
  BatchDecoder dec(m, 2, 1);
  const int32_t ok[] = {1, 2, 3};
  const int32_t bad_id[] = {1, static_cast<int32_t>(V)};
  const int32_t negative[] = {-1, 1};
  Session* ab[] = {&a, &b};
  Session* aa[] = {&a, &a};
  Session* abc[] = {&a, &b, &c};
  Session* af[] = {&a, &foreign};
  Session* afull[] = {&a, &full};
  Session* anull[] = {&a, nullptr};
  EXPECT_THROW(dec.decode(ab, std::span<const int32_t>(ok, 1)), Error);  // sizes differ
  EXPECT_THROW(dec.decode(abc, ok), Error);                              // > max_batch
  EXPECT_THROW(dec.decode(aa, std::span<const int32_t>(ok, 2)), Error);  // same session twice
  EXPECT_THROW(dec.decode(af, std::span<const int32_t>(ok, 2)), Error);  // another model
  EXPECT_THROW(dec.decode(afull, std::span<const int32_t>(ok, 2)), Error);
  EXPECT_THROW(dec.decode(anull, std::span<const int32_t>(ok, 2)), Error);
  EXPECT_THROW(dec.decode(ab, bad_id), Error);
  EXPECT_THROW(dec.decode(ab, negative), Error);
  EXPECT_THROW(dec.decode({}, {}), Error);
  EXPECT_THROW(BatchDecoder(m, 0, 1), Error);
  EXPECT_THROW(BatchDecoder(m, 257, 1), Error);
  EXPECT_EQ(a.n_past(), 0);
  EXPECT_EQ(b.n_past(), 0);
  EXPECT_EQ(full.n_past(), 2);
  EXPECT_EQ(dec.decode(ab, std::span<const int32_t>(ok, 2)).size(), static_cast<size_t>(2 * V));
  EXPECT_EQ(a.n_past(), 1);
  EXPECT_EQ(b.n_past(), 1);
}

}  // namespace
}  // namespace tern::test
