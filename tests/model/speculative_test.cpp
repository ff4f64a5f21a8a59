// Speculative decoding (src/generate/speculative.h) on real models: the batched verification
// rows are bit-identical to one-token evals (every kernel, both KV types), greedy output with
// drafts is the plain output on the golden models and the demo model, and sampled output
// keeps plain sampling's distribution (two-sample chi-square over many seeds).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
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

// Sampled decoding with drafts draws every token from plain sampling's distribution: the
// second to fourth generated tokens of many seeds, with and without drafts, compared by a
// two-sample chi-square at a false-failure probability of about 1e-9 per position. (A rule
// accepting drafts with 1.3 p(draft) instead of p(draft) fails it at every position.)
TEST(Speculative, SampledDistributionEqualsPlain) {
  auto m = load("tiny-a");
  // The prompt P + G, G being the model's greedy continuation of P: a random model's greedy
  // text falls into loops, so drafts are found and often, not always, sampled again (both
  // branches of the accept / resample rule run).
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
  SamplerConfig sc;
  sc.temperature = 1.2f;  // drafts accepted about half the time: the rule's both branches matter
  sc.top_k = 0;
  sc.top_p = 1.0f;
  sc.min_p = 0.0f;
  const int n = 4, seeds = 2000;
  const std::span<const float> last = s.eval(p);
  const std::vector<float> prompt_logits(last.begin(), last.end());  // every run starts here
  std::vector<std::map<int32_t, std::pair<int64_t, int64_t>>> counts(n);  // position -> id -> (plain, spec)
  int64_t accepted = 0, drafted = 0;
  for (int seed = 0; seed < seeds; ++seed) {
    for (int spec = 0; spec < 2; ++spec) {
      // Different seeds for the two arms: the samples must be independent.
      sc.seed = static_cast<uint64_t>(2 * seed + spec);
      s.truncate(static_cast<int64_t>(p.size()));
      Sampler sampler(sc, static_cast<int32_t>(s.n_vocab()));
      gen::SpecStats st;
      const auto out = spec ? speculative(s, sampler, p, prompt_logits, n, draft_config(3), &st)
                            : plain(s, sampler, prompt_logits, n);
      ASSERT_EQ(static_cast<int>(out.size()), n);
      for (int i = 1; i < n; ++i) {
        auto& c = counts[static_cast<size_t>(i)][out[static_cast<size_t>(i)]];
        (spec ? c.second : c.first)++;
      }
      accepted += st.accepted;
      drafted += st.drafted;
    }
  }
  EXPECT_GT(accepted, seeds / 4);  // drafts were verified and often accepted
  EXPECT_GT(drafted, accepted);
  for (int i = 1; i < n; ++i) {
    // Bins of at least 20 draws; the rest pooled into one.
    double x = 0;
    int bins = 0;
    int64_t rest_a = 0, rest_b = 0;
    for (const auto& [id, ab] : counts[static_cast<size_t>(i)]) {
      if (ab.first + ab.second < 20) {
        rest_a += ab.first;
        rest_b += ab.second;
        continue;
      }
      x += std::pow(static_cast<double>(ab.first - ab.second), 2) / static_cast<double>(ab.first + ab.second);
      ++bins;
    }
    if (rest_a + rest_b > 0) {
      x += std::pow(static_cast<double>(rest_a - rest_b), 2) / static_cast<double>(rest_a + rest_b);
      ++bins;
    }
    ASSERT_GE(bins, 2) << "position " << i;
    const double d = bins - 1, a = 2.0 / (9.0 * d);
    const double bound = d * std::pow(1.0 - a + 6.0 * std::sqrt(a), 3.0);  // chi-square, tail ~1e-9
    EXPECT_LT(x, bound) << "position " << i << ", " << bins << " bins";
  }
}

}  // namespace
}  // namespace tern::test
