// Speculative decoding (src/generate/speculative.h) on real models: the batched verification
// rows are bit-identical to one-token evals (every kernel, both KV types), greedy output with
// drafts is the plain output on the golden models and the demo model, and so is sampled
// output with the same seed (every row is sampled as plain decoding samples it).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "generate/speculative.h"
#include "golden_params.h"
#include "model_test_util.h"
#include "tern/sampler.h"
#include "tern/tokenizer.h"

namespace tern::test {
namespace {

std::string demo_model() { return std::string(TERN_SOURCE_DIR) + "/models/tern-demo-6m.gguf"; }

std::shared_ptr<const Model> load(const std::string& name, const std::string& kernel = "") {
  ModelOptions mo;
  mo.kernel = kernel;
  return Model::load(name == "demo" ? demo_model() : golden_gguf(name), mo);
}

SessionOptions opts(KvType kv = KvType::F16, int64_t n_ctx = 512) {
  SessionOptions o;
  o.kv_type = kv;
  o.n_threads = 1;
  o.n_ctx = n_ctx;
  return o;
}

std::vector<std::string> models() {
  std::vector<std::string> m = known_golden_models();
  m.push_back("demo");
  return m;
}

// A prompt that repeats itself, so that drafts are found: a golden sequence's first ids
// twice over, or for the demo model a paragraph and the request to repeat it.
std::vector<int32_t> prompt_for(const std::string& name, const Model& model) {
  if (name == "demo") {
    const std::string para =
        "The old man walked down to the river in the morning, and he sat by the water and watched "
        "the boats go by. The old man walked down to the river";
    return model.tokenizer()->encode("Repeat the text. " + para, true);
  }
  std::vector<int32_t> ids;
  for (const auto& seq : golden_json(name)["sequences"]) {
    ids = seq["ids"].get<std::vector<int32_t>>();
    if (ids.size() >= 12) break;
  }
  ids.resize(std::min<size_t>(ids.size(), 16));
  std::vector<int32_t> twice = ids;
  twice.insert(twice.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(ids.size() / 2));
  return twice;
}

// Plain decoding as `tern run` does it: one eval per generated token. The session holds the
// prompt; `logits` are its last position's.
std::vector<int32_t> plain(Session& s, Sampler& sampler, std::span<const float> logits, int n) {
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) {
    const int32_t t = sampler.sample(logits);
    out.push_back(t);
    if (i + 1 == n || s.n_past() >= s.n_ctx()) break;
    logits = s.eval(std::span<const int32_t>(&t, 1));
  }
  return out;
}

std::vector<int32_t> speculative(Session& s, Sampler& sampler, const std::vector<int32_t>& prompt,
                                 std::span<const float> logits, int n, const gen::DraftConfig& c, gen::SpecStats* stats) {
  std::vector<int32_t> ctx = prompt, out;
  ctx.push_back(sampler.sample(logits));
  out.push_back(ctx.back());
  gen::Speculator spec(s, sampler, c);
  while (static_cast<int>(out.size()) < n && s.n_past() < s.n_ctx()) {
    for (int32_t t : spec.step(ctx, n - static_cast<int64_t>(out.size()), [](int32_t) { return false; })) {
      ctx.push_back(t);
      out.push_back(t);
    }
    EXPECT_EQ(s.n_past() + 1, static_cast<int64_t>(ctx.size()));
  }
  if (stats) *stats = spec.stats();
  return out;
}

gen::DraftConfig draft_config(int32_t draft_max = 6, int32_t ngram_min = 1) {
  gen::DraftConfig c;
  c.ngram_min = ngram_min;
  c.ngram_max = 4;
  c.draft_max = draft_max;
  c.draft_min = 1;
  c.adaptive = false;  // every draft found is verified: the counts below depend on it
  return c;
}

// The premise of exact greedy speculation: the logits of a verification batch (several
// query rows after a prefix, GEMM path, attention over several rows) are bit-identical to
// evaluating its tokens one at a time (GEMV path), for every kernel this CPU runs.
TEST(Speculative, VerifyRowsEqualSingleEvals) {
  for (const std::string& name : models()) {
    for (const kernels::Kernel* k : runnable_kernels()) {
      for (KvType kv : {KvType::F16, KvType::F32}) {
        SCOPED_TRACE(name + " kernel " + k->name + " kv " + kv_type_name(kv));
        auto m = load(name, k->name);
        const std::vector<int32_t> p = prompt_for(name, *m);
        const std::vector<int32_t> prefix(p.begin(), p.begin() + 7), batch(p.begin() + 7, p.begin() + 12);
        const size_t V = static_cast<size_t>(m->hparams().n_vocab);
        Session a(m, opts(kv)), b(m, opts(kv));
        a.eval(prefix);
        b.eval(prefix);
        const std::span<const float> rows = a.eval_all(batch);
        for (size_t i = 0; i < batch.size(); ++i) {
          const std::span<const float> one = b.eval(std::span<const int32_t>(&batch[i], 1));
          EXPECT_EQ(std::memcmp(rows.data() + i * V, one.data(), V * sizeof(float)), 0) << "row " << i;
        }
      }
    }
  }
}

// Greedy output with drafts is plain greedy output, token for token: with and without a
// repetition penalty (whose window must see the accepted drafts), for several draft lengths,
// and in a context window that ends mid-draft. The drafts must be both accepted and rejected
// somewhere, or the test would not exercise the verification.
TEST(Speculative, GreedyOutputEqualsPlain) {
  int64_t drafted = 0, accepted = 0, steps = 0, generated = 0;
  for (const std::string& name : models()) {
    auto m = load(name);
    const std::vector<int32_t> p = prompt_for(name, *m);
    for (float penalty : {1.0f, 1.3f}) {
      for (int32_t draft_max : {1, 8}) {
        for (int64_t n_ctx : {int64_t{512}, static_cast<int64_t>(p.size()) + 21}) {
          SCOPED_TRACE(name + " penalty " + std::to_string(penalty) + " draft_max " + std::to_string(draft_max) +
                       " n_ctx " + std::to_string(n_ctx));
          SamplerConfig sc;
          sc.temperature = 0.0f;
          sc.repeat_penalty = penalty;
          const int n = 48;
          Session s1(m, opts(KvType::F16, n_ctx)), s2(m, opts(KvType::F16, n_ctx));
          Sampler a(sc, static_cast<int32_t>(s1.n_vocab())), b(sc, static_cast<int32_t>(s2.n_vocab()));
          for (int32_t id : p) a.accept(id), b.accept(id);
          gen::SpecStats st;
          const auto want = plain(s1, a, s1.eval(p), n);
          const auto got = speculative(s2, b, p, s2.eval(p), n, draft_config(draft_max), &st);
          EXPECT_EQ(got, want);
          EXPECT_EQ(s2.n_past(), s1.n_past());
          drafted += st.drafted;
          accepted += st.accepted;
          steps += st.steps;
          generated += static_cast<int64_t>(got.size());
        }
      }
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(drafted, accepted);       // some drafts rejected: the KV rollback ran
  EXPECT_LT(steps, generated);        // fewer forward passes than tokens
}

// Sampled decoding with drafts is plain sampled decoding, token for token, for every seed:
// each row is sampled by the same sampler as plain decoding would sample it (one uniform per
// emitted token), and a draft is accepted exactly when the sample is the draft, so drafts
// are accepted with probability p(draft), as the accept / resample rule requires. Also with
// the adaptive policy, whose choices depend on timings: they may change speed, not output.
TEST(Speculative, SampledOutputEqualsPlainForEverySeed) {
  auto m = load("tiny-a");
  // The prompt P + G, G being the model's greedy continuation of P: a random model's greedy
  // text falls into loops, so drafts are found and often, not always, sampled again.
  std::vector<int32_t> p = prompt_for("tiny-a", *m);
  Session s(m, opts());
  {
    SamplerConfig greedy;
    greedy.temperature = 0.0f;
    Sampler g(greedy, static_cast<int32_t>(s.n_vocab()));
    const std::vector<int32_t> cont = plain(s, g, s.eval(p), 40);
    p.insert(p.end(), cont.begin(), cont.end());
    s.reset();
  }
  const std::span<const float> last = s.eval(p);
  const std::vector<float> prompt_logits(last.begin(), last.end());  // every run starts here
  int64_t accepted = 0, drafted = 0, runs = 0;
  for (float temperature : {0.7f, 1.2f}) {
    for (float penalty : {1.0f, 1.2f}) {
      for (bool adaptive : {false, true}) {
        for (uint64_t seed = 0; seed < 50; ++seed) {
          SCOPED_TRACE("temperature " + std::to_string(temperature) + " penalty " + std::to_string(penalty) +
                       " adaptive " + std::to_string(adaptive) + " seed " + std::to_string(seed));
          SamplerConfig sc;
          sc.temperature = temperature;
          sc.repeat_penalty = penalty;
          sc.seed = seed;
          const int n = 12;
          s.truncate(static_cast<int64_t>(p.size()));
          Sampler a(sc, static_cast<int32_t>(s.n_vocab()));
          for (int32_t id : p) a.accept(id);
          const auto want = plain(s, a, prompt_logits, n);
          s.truncate(static_cast<int64_t>(p.size()));
          Sampler b(sc, static_cast<int32_t>(s.n_vocab()));
          for (int32_t id : p) b.accept(id);
          gen::DraftConfig c = draft_config(4);
          c.adaptive = adaptive;
          gen::SpecStats st;
          ASSERT_EQ(speculative(s, b, p, prompt_logits, n, c, &st), want);
          accepted += st.accepted;
          drafted += st.drafted;
          ++runs;
        }
      }
    }
  }
  EXPECT_GT(accepted, runs);      // drafts were verified and often accepted
  EXPECT_GT(drafted, accepted);   // and often not: both outcomes ran
}

}  // namespace
}  // namespace tern::test
