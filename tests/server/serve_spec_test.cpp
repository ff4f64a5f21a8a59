// `tern serve` with speculative decoding (ServerOptions::spec): a slot decoding alone verifies
// drafts from its context; the text is the one plain greedy decoding gives, alone, batched
// with others, and at the context's end, and sampled text is plain decoding's for the same
// seed; drafts are really accepted (/metrics), and a request that wants log-probabilities
// decodes plainly.
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "server_fixture.h"

#include "chat/chat_prompt.h"

namespace tern::server {
namespace {

using namespace tern::server::test;  // NOLINT: the fixture is this file's vocabulary
using json = nlohmann::json;

// Text that repeats, so prompt lookup has something to draft from.
const char* kRepeating = "one two three four five, one two three four five, one two three";

ServerOptions spec_options(int parallel) {
  ServerOptions o;
  o.parallel = parallel;
  o.max_queue = 8;
  o.max_tokens_cap = 200;
  o.log_requests = false;
  gen::DraftConfig d;
  d.draft_max = 6;
  d.adaptive = false;  // verify every draft found: the tests count accepted drafts
  o.spec = d;
  return o;
}


json complete(const RunningServer& srv, const std::string& prompt, int max_tokens, int* status,
              const json& extra = json::object()) {
  json body = {{"model", "tiny"}, {"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}};
  body.update(extra);
  return post(srv, "/v1/completions", body, status);
}

std::string reference(const std::string& prompt, int n, int* generated) {
  return greedy_reference(chat::text_prompt_ids(*tiny_model()->tokenizer(), prompt), n, generated);
}

TEST(ServeSpec, GreedyAloneEqualsPlainAndAcceptsDrafts) {
  RunningServer srv(spec_options(1));
  for (int n : {1, 2, 7, 80}) {
    int n_ref = 0;
    const std::string ref = reference(kRepeating, n, &n_ref);
    int status = 0;
    const json r = complete(srv, kRepeating, n, &status);
    ASSERT_EQ(status, 200) << r.dump();
    EXPECT_EQ(r["choices"][0]["text"], ref) << "max_tokens " << n;
    EXPECT_EQ(r["usage"]["completion_tokens"], n_ref) << "max_tokens " << n;
  }
  // Without accepted drafts the comparison above would only test plain decoding.
  EXPECT_GT(metric(srv, "tern_spec_steps_total"), 0);
  EXPECT_GT(metric(srv, "tern_spec_accepted_tokens_total"), 0);
}

TEST(ServeSpec, GreedyBatchedWithOthersEqualsPlain) {
  RunningServer srv(spec_options(4));
  const std::vector<std::pair<std::string, int>> jobs = {
      {kRepeating, 90}, {"The quick brown fox", 20}, {"a b a b a b a b", 50}, {"Hello there", 5}};
  std::vector<std::future<json>> replies;
  std::vector<int> statuses(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    replies.push_back(std::async(std::launch::async,
                                 [&, i] { return complete(srv, jobs[i].first, jobs[i].second, &statuses[i]); }));
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    const json r = replies[i].get();
    ASSERT_EQ(statuses[i], 200) << r.dump();
    int n_ref = 0;
    EXPECT_EQ(r["choices"][0]["text"], reference(jobs[i].first, jobs[i].second, &n_ref)) << jobs[i].first;
    EXPECT_EQ(r["usage"]["completion_tokens"], n_ref) << jobs[i].first;
  }
  EXPECT_GT(metric(srv, "tern_spec_steps_total"), 0) << "the longest job decodes alone at its end";
}

TEST(ServeSpec, StreamingAndContextEndEqualPlain) {
  SessionOptions small = session_opts();
  small.n_ctx = 48;  // the generation runs into the context's end while drafting
  RunningServer srv(spec_options(1), small);
  ServerOptions plain_opts = spec_options(1);
  plain_opts.spec.reset();
  RunningServer plain(plain_opts, small);
  // As many tokens as the context holds after the prompt: the last drafts are cut by its end.
  const auto prompt_tokens = static_cast<int64_t>(chat::text_prompt_ids(*tiny_model()->tokenizer(), kRepeating).size());
  const json body = {{"model", "tiny"},      {"prompt", kRepeating}, {"max_tokens", small.n_ctx - prompt_tokens},
                     {"temperature", 0},     {"stream", true}};
  auto stream = [&](const RunningServer& s, std::string* finish, int* tokens) {
    auto c = s.client();
    auto r = c.Post("/v1/completions", body.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 200) << (r ? std::to_string(r->status) + r->body : httplib::to_string(r.error()));
    return r ? read_stream(r->body, false, finish, tokens) : std::string();
  };
  std::string finish_spec, finish_plain;
  int tokens_spec = 0, tokens_plain = 0;
  EXPECT_EQ(stream(srv, &finish_spec, &tokens_spec), stream(plain, &finish_plain, &tokens_plain));
  EXPECT_EQ(finish_spec, finish_plain);
  EXPECT_EQ(tokens_spec, tokens_plain);
  EXPECT_EQ(finish_spec, "length");
  EXPECT_GT(metric(srv, "tern_spec_steps_total"), 0);
  EXPECT_EQ(metric(plain, "tern_spec_steps_total"), 0);
}

TEST(ServeSpec, SeededSamplingEqualsPlainAndLogprobsDecodePlainly) {
  RunningServer srv(spec_options(1));
  ServerOptions plain_opts = spec_options(1);
  plain_opts.spec.reset();
  RunningServer plain(plain_opts);
  for (int seed : {11, 12, 13}) {
    const json sampled = {{"temperature", 0.9}, {"seed", seed}, {"repeat_penalty", 1.1}};
    int s1 = 0, s2 = 0;
    const json a = complete(srv, kRepeating, 40, &s1, sampled);
    const json b = complete(plain, kRepeating, 40, &s2, sampled);
    ASSERT_EQ(s1, 200) << a.dump();
    ASSERT_EQ(s2, 200) << b.dump();
    EXPECT_EQ(a["choices"][0]["text"], b["choices"][0]["text"]) << "seed " << seed;
  }
  EXPECT_GT(metric(srv, "tern_spec_accepted_tokens_total"), 0);

  const double steps = metric(srv, "tern_spec_steps_total");
  int status = 0;
  const json r = complete(srv, kRepeating, 30, &status, {{"logprobs", 2}});
  ASSERT_EQ(status, 200) << r.dump();
  int n_ref = 0;
  EXPECT_EQ(r["choices"][0]["text"], reference(kRepeating, 30, &n_ref));
  EXPECT_EQ(r["choices"][0]["logprobs"]["tokens"].size(), static_cast<size_t>(n_ref));
  EXPECT_EQ(metric(srv, "tern_spec_steps_total"), steps) << "a logprobs request must not speculate";
}

}  // namespace
}  // namespace tern::server
