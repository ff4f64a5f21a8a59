// Prompt-prefix reuse across requests (scheduler.h, slot_choice.h): a slot keeps its KV
// cache after a job, and a new prompt skips the prefix it holds. The reused positions must
// give exactly what evaluating them again gives: every reply here is compared with the
// greedy reference (a fresh Session) or with a server that does not reuse, token for token
// (and log-probabilities bit for bit where asked). usage.prompt_tokens_details.cached_tokens
// and /metrics count it; a failed job leaves nothing to reuse, a cancelled one only what it
// evaluated; prompts of several new jobs prefilled together (BatchDecoder::prefill) give the
// reference replies too.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstring>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server_fixture.h"

#include "chat/chat_prompt.h"
#include "server/scheduler.h"
#include "server/slot_choice.h"
#include "tern/chat_template.h"

namespace tern::server {
namespace {

using namespace tern::server::test;  // NOLINT: the fixture is this file's vocabulary
using json = nlohmann::json;

const tok::Tokenizer& tokenizer() { return *tiny_model()->tokenizer(); }

std::vector<int32_t> ids_of(const std::string& text) { return chat::text_prompt_ids(tokenizer(), text); }
// Without the BOS token every prompt starts with: prompts that share no token at all.
std::vector<int32_t> bare_ids(const std::string& text) { return tokenizer().encode(text, false); }

std::vector<int32_t> concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string text_of(const std::vector<int32_t>& ids) { return tokenizer().decode(ids, tok::Special::kSkip); }

json complete(const RunningServer& srv, const std::vector<int32_t>& prompt, int max_tokens, bool ignore_eos = false) {
  int status = 0;
  json r = post(srv, "/v1/completions",
                {{"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}, {"ignore_eos", ignore_eos}},
                &status);
  EXPECT_EQ(status, 200) << r.dump();
  return r;
}

int64_t cached(const json& r) { return r["usage"]["prompt_tokens_details"]["cached_tokens"].get<int64_t>(); }

TEST(SlotChoice, LongestPrefixThenLeastRecentlyUsed) {
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5};
  const std::vector<int32_t> a = {1, 2, 9}, b = {1, 2, 3, 4, 5, 6, 7}, c = {7}, empty;
  EXPECT_EQ(reusable_prefix(a, prompt), 2);
  EXPECT_EQ(reusable_prefix(b, prompt), 4);  // never the last prompt token: its logits are needed
  EXPECT_EQ(reusable_prefix(c, prompt), 0);
  EXPECT_EQ(reusable_prefix(empty, prompt), 0);
  EXPECT_EQ(reusable_prefix(b, std::vector<int32_t>{}), 0);
  EXPECT_EQ(reusable_prefix(b, std::vector<int32_t>{1}), 0);
  const FreeSlot slots[] = {{a, 5}, {b, 9}, {c, 1}, {empty, 3}};
  SlotChoice ch = choose_slot(slots, prompt, true);
  EXPECT_EQ(ch.index, 1u);
  EXPECT_EQ(ch.reused, 4);
  ch = choose_slot(slots, prompt, false);  // reuse off: the least recently used, nothing reused
  EXPECT_EQ(ch.index, 2u);
  EXPECT_EQ(ch.reused, 0);
  const std::vector<int32_t> other = {8, 8};
  ch = choose_slot(slots, other, true);  // nobody holds any of it: the least recently used
  EXPECT_EQ(ch.index, 2u);
  EXPECT_EQ(ch.reused, 0);
  const FreeSlot ties[] = {{a, 7}, {a, 2}, {a, 4}};
  ch = choose_slot(ties, prompt, true);
  EXPECT_EQ(ch.index, 1u);
  EXPECT_EQ(ch.reused, 2);
  // A short shared prefix (BOS, a template header) of a long held conversation does not
  // evict it: the least recently used slot is taken, and what it holds of the prompt reused.
  const std::vector<int32_t> long_chat = {1, 2, 3, 9, 9, 9, 9, 9, 9, 9}, stale = {1, 7};
  const FreeSlot keep[] = {{long_chat, 8}, {stale, 9}, {empty, 10}};
  ch = choose_slot(keep, prompt, true);
  EXPECT_EQ(ch.index, 1u);  // stale: 1 of its 2 tokens reused, half of what it holds
  EXPECT_EQ(ch.reused, 1);
  const FreeSlot keep2[] = {{long_chat, 8}, {empty, 0}};
  ch = choose_slot(keep2, prompt, true);
  EXPECT_EQ(ch.index, 1u);  // the never used slot
  EXPECT_EQ(ch.reused, 0);
  const std::vector<int32_t> other_chat = {1, 2, 8, 8, 8, 8, 8, 8};
  const FreeSlot keep3[] = {{long_chat, 8}, {other_chat, 6}};
  ch = choose_slot(keep3, prompt, true);
  EXPECT_EQ(ch.index, 1u);  // neither prefix is worth its slot: the least recently used
  EXPECT_EQ(ch.reused, 2);
  const FreeSlot only[] = {{long_chat, 8}};
  ch = choose_slot(only, prompt, true);
  EXPECT_EQ(ch.index, 0u);  // the only free slot: its prefix is reused
  EXPECT_EQ(ch.reused, 3);
}

// Token-id prompts, one slot: what is reused is exactly the common prefix of the ids held
// (the previous prompt and the reply tokens that were evaluated) and the new prompt.
TEST(PrefixReuse, TokenPromptsReuseExactlyTheirCommonPrefix) {
  ServerOptions o;
  o.parallel = 1;
  RunningServer srv(o);
  const std::vector<int32_t> sys = ids_of("You are a helpful assistant who answers in short sentences.");
  const std::vector<int32_t> p1 = concat(sys, ids_of(" Tell me about the sea."));
  const std::vector<int32_t> p2 = concat(sys, ids_of(" What is a river?"));
  ASSERT_GT(sys.size(), 8u);
  int64_t prompt_total = 0, cached_total = 0;
  const auto check = [&](const std::vector<int32_t>& prompt, int n, bool ignore_eos, int64_t want_cached,
                         const std::string& what) {
    SCOPED_TRACE(what);
    const json r = complete(srv, prompt, n, ignore_eos);
    EXPECT_EQ(r["choices"][0]["text"], text_of(greedy_ids(prompt, n, ignore_eos)));
    EXPECT_EQ(r["usage"]["prompt_tokens"], prompt.size());
    EXPECT_EQ(cached(r), want_cached);
    prompt_total += static_cast<int64_t>(prompt.size());
    cached_total += want_cached;
  };
  check(p1, 8, false, 0, "first request: an empty cache");
  size_t common = 0;  // p2 shares the system prompt's tokens and perhaps a few more
  while (common < p2.size() && p1[common] == p2[common]) ++common;
  ASSERT_GE(common, sys.size());
  check(p2, 8, false, static_cast<int64_t>(common), "shared system prompt");
  // The reply to p2 (12 tokens, ended by length: the last one was never evaluated) and a
  // follow-up: everything but that last reply token is reused.
  const std::vector<int32_t> reply = greedy_ids(p2, 12, true);
  check(p2, 12, true, static_cast<int64_t>(p2.size()) - 1, "the same prompt again: all but its last token");
  const std::vector<int32_t> p3 = concat(concat(p2, reply), ids_of(" And a lake?"));
  check(p3, 6, false, static_cast<int64_t>(p2.size() + reply.size()) - 1, "the conversation continued");
  const std::vector<int32_t> unrelated = bare_ids("Completely different words");
  ASSERT_NE(unrelated[0], p3[0]);
  check(unrelated, 5, false, 0, "an unrelated prompt");
  EXPECT_EQ(metric(srv, "tern_prompt_tokens_reused_total"), cached_total);
  EXPECT_EQ(metric(srv, "tern_prompt_tokens_total"), prompt_total - cached_total);
  EXPECT_GT(cached_total, 0);
}

// The brief's case: the second turn of a chat reuses the whole first turn, and its reply is
// the one a server without reuse gives (streamed too, with the usage in the last chunks).
TEST(PrefixReuse, SecondChatTurnReusesTheFirstAndRepliesTheSame) {
  ServerOptions o;
  o.parallel = 2;
  RunningServer reuse(o);
  o.prefix_reuse = false;
  RunningServer plain(o);
  json messages = json::array({{{"role", "system"}, {"content", "You are a terse assistant."}},
                               {{"role", "user"}, {"content", "Name a colour of the sky."}}});
  const auto ask = [&](const RunningServer& srv, const json& msgs) {
    int status = 0;
    json r = post(srv, "/v1/chat/completions", {{"messages", msgs}, {"max_tokens", 16}, {"temperature", 0}}, &status);
    EXPECT_EQ(status, 200) << r.dump();
    return r;
  };
  const json t1 = ask(reuse, messages), t1_plain = ask(plain, messages);
  ASSERT_EQ(t1["choices"][0]["message"]["content"], t1_plain["choices"][0]["message"]["content"]);
  EXPECT_EQ(cached(t1), 0);
  messages.push_back({{"role", "assistant"}, {"content", t1["choices"][0]["message"]["content"]}});
  messages.push_back({{"role", "user"}, {"content", "And at night?"}});
  const json t2 = ask(reuse, messages), t2_plain = ask(plain, messages);
  EXPECT_EQ(t2["choices"][0]["message"]["content"], t2_plain["choices"][0]["message"]["content"]);
  EXPECT_EQ(t2["usage"]["completion_tokens"], t2_plain["usage"]["completion_tokens"]);
  EXPECT_EQ(t2["usage"]["prompt_tokens"], t2_plain["usage"]["prompt_tokens"]);
  EXPECT_GE(cached(t2), t1["usage"]["prompt_tokens"].get<int64_t>()) << t2["usage"].dump();
  EXPECT_EQ(cached(t2_plain), 0);
  // The same turn streamed: its slot holds it now, so all of it but the last token is reused.
  int status = 0;
  auto c = reuse.client();
  const json body = {{"messages", messages}, {"max_tokens", 16}, {"temperature", 0}, {"stream", true},
                     {"stream_options", {{"include_usage", true}}}};
  auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_TRUE(r);
  status = r->status;
  ASSERT_EQ(status, 200);
  const int64_t want = t2["usage"]["prompt_tokens"].get<int64_t>() - 1;
  std::string text;
  int usage_chunks = 0;
  for (size_t pos = r->body.find("data: {"); pos != std::string::npos; pos = r->body.find("data: {", pos + 1)) {
    const json j = json::parse(r->body.substr(pos + 6, r->body.find("\n\n", pos) - pos - 6));
    if (!j["choices"].empty()) text += j["choices"][0]["delta"].value("content", "");
    if (!j.contains("usage")) continue;
    EXPECT_EQ(cached(j), want) << j.dump();
    ++usage_chunks;
  }
  EXPECT_EQ(text, t2["choices"][0]["message"]["content"]);
  EXPECT_EQ(usage_chunks, 2);  // the finish chunk and the include_usage chunk
  EXPECT_EQ(metric(plain, "tern_prompt_tokens_reused_total"), 0);
  EXPECT_EQ(metric(reuse, "tern_prompt_tokens_reused_total"), cached(t2) + want);
}

// Two slots, three conversations: an unrelated prompt takes the least recently used slot,
// so the conversation that is still going on keeps its KV cache.
TEST(PrefixReuse, UnrelatedPromptsTakeTheLeastRecentlyUsedSlot) {
  ServerOptions o;
  o.parallel = 2;
  RunningServer srv(o);
  const std::vector<int32_t> a1 = bare_ids("Alice asks about gardens and the flowers in them.");
  const std::vector<int32_t> b = bare_ids("Bob wants numbers."), c = bare_ids("Carol sings a song.");
  ASSERT_NE(a1[0], b[0]);
  ASSERT_NE(a1[0], c[0]);
  ASSERT_NE(b[0], c[0]);
  EXPECT_EQ(cached(complete(srv, a1, 4, true)), 0);  // slot X
  EXPECT_EQ(cached(complete(srv, b, 4, true)), 0);   // slot Y, never used
  const std::vector<int32_t> a2 = concat(concat(a1, greedy_ids(a1, 4, true)), ids_of(" More?"));
  EXPECT_EQ(cached(complete(srv, a2, 4, true)), static_cast<int64_t>(a1.size()) + 3);  // X again
  EXPECT_EQ(cached(complete(srv, c, 4, true)), 0);  // Y: used before X's last job
  const std::vector<int32_t> a3 = concat(concat(a2, greedy_ids(a2, 4, true)), ids_of(" Yes."));
  const json r = complete(srv, a3, 4, true);
  EXPECT_EQ(cached(r), static_cast<int64_t>(a2.size()) + 3) << "Alice's slot was overwritten";
  EXPECT_EQ(r["choices"][0]["text"], text_of(greedy_ids(a3, 4, true)));
}

// --- The scheduler driven directly, for failures, cancellation and the spec path. ---

struct Outcome {
  std::string text;
  std::vector<SampleLogprobs> logprobs;
  GenResult result;
};

std::shared_ptr<Job> submit(Scheduler& s, GenRequest r) {
  auto job = std::make_shared<Job>(std::move(r));
  EXPECT_TRUE(s.submit(job));
  return job;
}

Outcome finish(Job& job) {
  Outcome o;
  JobOutput out;
  for (;;) {
    const bool done = job.wait(out, std::chrono::milliseconds(100));
    o.text += out.text;
    o.logprobs.insert(o.logprobs.end(), out.logprobs.begin(), out.logprobs.end());
    if (done) break;
  }
  o.result = job.result();
  return o;
}

GenRequest greedy(std::vector<int32_t> prompt, int64_t max_tokens, bool ignore_eos = true) {
  GenRequest r;
  r.prompt = std::move(prompt);
  r.sampling.temperature = 0;
  r.max_tokens = max_tokens;
  r.ignore_eos = ignore_eos;
  return r;
}

SchedulerOptions one_slot(bool reuse = true) {
  SchedulerOptions o;
  o.n_slots = 1;
  o.prefix_reuse = reuse;
  return o;
}

// A job that fails (here: a token id outside the vocabulary, which the HTTP layer would have
// refused) leaves its slot empty: the next prompt reuses nothing, though it shares the
// prefix the failed job's slot held before.
TEST(PrefixReuse, FailedJobLeavesNothingToReuse) {
  Scheduler s(tiny_model(), tokenizer(), session_opts(), one_slot());
  const std::vector<int32_t> p = ids_of("The garden was full of roses and tulips.");
  auto j1 = submit(s, greedy(p, 4));
  EXPECT_EQ(finish(*j1).result.finish_reason, "length");
  const int32_t bad = static_cast<int32_t>(tiny_model()->hparams().n_vocab);
  auto j2 = submit(s, greedy(concat(p, {bad}), 4));
  const Outcome o2 = finish(*j2);
  EXPECT_EQ(o2.result.finish_reason, "error");
  EXPECT_NE(o2.result.error.find("outside the vocabulary"), std::string::npos) << o2.result.error;
  const std::vector<int32_t> p3 = concat(p, ids_of(" The end."));
  auto j3 = submit(s, greedy(p3, 6));
  const Outcome o3 = finish(*j3);
  EXPECT_EQ(o3.result.cached_tokens, 0) << "the failed job's slot kept its KV cache";
  EXPECT_EQ(o3.text, text_of(greedy_ids(p3, 6, true)));
}

// A cancelled job's slot keeps what it evaluated, and only that: a prompt continuing its
// reply gets the reference reply.
TEST(PrefixReuse, CancelledJobReusesOnlyWhatItEvaluated) {
  SessionOptions so = session_opts();
  so.n_ctx = 1024;
  Scheduler s(tiny_model(), tokenizer(), so, one_slot());
  const std::vector<int32_t> p = ids_of("Once upon a time there was a lighthouse keeper.");
  auto j1 = submit(s, greedy(p, 900));
  JobOutput out;
  std::string got;
  while (got.size() < 4 && !j1->wait(out, std::chrono::milliseconds(50))) got += out.text;
  j1->cancel();
  const Outcome o1 = finish(*j1);
  ASSERT_EQ(o1.result.finish_reason, "cancelled");
  const int64_t generated = o1.result.completion_tokens;
  ASSERT_LT(generated, 900);
  const std::vector<int32_t> reply = greedy_ids(p, 40, true);
  const std::vector<int32_t> p2 = concat(concat(p, reply), ids_of(" Then?"));
  auto j2 = submit(s, greedy(p2, 8));
  const Outcome o2 = finish(*j2);
  EXPECT_EQ(o2.text, text_of(greedy_ids(p2, 8, true)));
  EXPECT_GE(o2.result.cached_tokens, static_cast<int64_t>(p.size()));
  EXPECT_LE(o2.result.cached_tokens, static_cast<int64_t>(p.size()) + std::min<int64_t>(generated, 40));
}

// With drafts (the spec path), a reply may end on a stop text in the middle of a step whose
// later rows were evaluated too; the slot keeps only the tokens of the reply. The next
// turn's log-probabilities (a plain-decoding request) equal a fresh scheduler's bit for bit.
TEST(PrefixReuse, AfterADraftedReplyTheNextTurnIsExact) {
  gen::DraftConfig dc;
  dc.draft_max = 8;
  dc.draft_min = 1;
  dc.ngram_min = 1;
  dc.ngram_max = 4;
  dc.adaptive = false;
  SchedulerOptions with_spec = one_slot();
  with_spec.spec = dc;
  Scheduler s(tiny_model(), tokenizer(), session_opts(), with_spec);
  Scheduler fresh(tiny_model(), tokenizer(), session_opts(), one_slot(false));
  // A prompt that repeats itself, so that drafts are found and accepted.
  const std::string para = "the boat went down the river and the boat went down the river and the boat";
  const std::vector<int32_t> p = ids_of(para);
  const std::vector<int32_t> reply = greedy_ids(p, 30, true);
  ASSERT_GE(reply.size(), 12u);
  // Stop on the text of a reply token past the 4th that did not occur before it: the reply
  // ends there, mid-step if drafted.
  const auto occurs_before = [&](size_t n) {
    const std::string t = text_of({reply[n]});
    return t.empty() || text_of(std::vector<int32_t>(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(n)))
                                .find(t) != std::string::npos;
  };
  size_t k = 4;
  while (k < reply.size() && occurs_before(k)) ++k;
  ASSERT_LT(k, reply.size()) << "no reply token makes a stop text here";
  GenRequest r1 = greedy(p, 30);
  r1.stop = {text_of({reply[k]})};
  const Outcome o1 = finish(*submit(s, r1));
  EXPECT_EQ(o1.result.finish_reason, "stop");
  EXPECT_GE(o1.result.completion_tokens, 4);
  const auto stats = s.stats();
  EXPECT_GT(stats.spec_steps, 0);
  for (size_t cut : {size_t{3}, size_t{6}, size_t{12}}) {
    SCOPED_TRACE("next turn after " + std::to_string(cut) + " reply tokens");
    const std::vector<int32_t> next =
        concat(concat(p, std::vector<int32_t>(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(cut))),
               ids_of(" again"));
    GenRequest r = greedy(next, 6);
    r.logprobs = 3;
    const Outcome a = finish(*submit(s, r)), b = finish(*submit(fresh, r));
    EXPECT_EQ(a.text, b.text);
    EXPECT_GT(a.result.cached_tokens, 0);
    ASSERT_EQ(a.logprobs.size(), b.logprobs.size());
    for (size_t i = 0; i < a.logprobs.size(); ++i) {
      EXPECT_EQ(a.logprobs[i].chosen.id, b.logprobs[i].chosen.id);
      EXPECT_EQ(std::memcmp(&a.logprobs[i].chosen.logprob, &b.logprobs[i].chosen.logprob, sizeof(float)), 0) << i;
      ASSERT_EQ(a.logprobs[i].top.size(), b.logprobs[i].top.size());
      for (size_t k = 0; k < a.logprobs[i].top.size(); ++k) {
        EXPECT_EQ(std::memcmp(&a.logprobs[i].top[k].logprob, &b.logprobs[i].top[k].logprob, sizeof(float)), 0);
      }
    }
  }
}

// Several new prompts at once, in prefill chunks smaller than the prompts: their rows share
// forward passes (BatchDecoder::prefill), and every reply is the reference.
TEST(BatchedPrefill, ConcurrentNewPromptsEqualTheirReferences) {
  SchedulerOptions o;
  o.n_slots = 4;
  o.prefill_chunk = 7;
  for (bool reuse : {true, false}) {
    SCOPED_TRACE(reuse ? "reuse" : "no reuse");
    o.prefix_reuse = reuse;
    Scheduler s(tiny_model(), tokenizer(), session_opts(), o);
    // Prompts longer than their replies: a slot holding one is worth keeping for it.
    const std::vector<std::string> texts = {"A cat sat on the warm mat by the kitchen door.",
                                            "The weather today is cold and grey, with rain later on.",
                                            "Numbers: one two three four five six seven eight nine ten.",
                                            "Why is the sea salty, and why are the rivers not?"};
    for (int round = 0; round < 2; ++round) {
      std::vector<std::shared_ptr<Job>> jobs;
      for (const std::string& t : texts) jobs.push_back(submit(s, greedy(ids_of(t), 4)));
      for (size_t i = 0; i < texts.size(); ++i) {
        const Outcome out = finish(*jobs[i]);
        EXPECT_EQ(out.text, text_of(greedy_ids(ids_of(texts[i]), 4, true))) << texts[i];
        // Round two: every prompt was served before, by some slot; with reuse, it finds it.
        if (round == 1 && reuse) {
          EXPECT_EQ(out.result.cached_tokens, static_cast<int64_t>(ids_of(texts[i]).size()) - 1) << texts[i];
        }
      }
    }
    const SchedulerStats st = s.stats();
    EXPECT_GT(st.prefill_steps, 0);
    EXPECT_EQ(st.tokens_reused > 0, reuse);
  }
}

}  // namespace
}  // namespace tern::server
