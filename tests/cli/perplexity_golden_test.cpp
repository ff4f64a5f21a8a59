// `tern perplexity` against values computed here, independently, from the golden logits
// (../shared/golden/tiny-a/golden/*.bin were computed by the PyTorch reference): windows of
// the golden id sequences, llama-perplexity's convention (first token of every window is
// BOS, only the second half is scored), PPL = exp(mean NLL) ± PPL·stderr(NLL).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/bench_cli_util.h"
#include "tern/tokenizer.h"

using tern::testing::CommandResult;
using tern::testing::converted_tiny_a;
using tern::testing::run_command;
using tern::testing::ScratchDir;
using tern::testing::shell_quote;
using tern::testing::write_text;

namespace {

const std::string kGolden = std::string(TERN_SHARED_DIR) + "/golden/tiny-a";

struct GoldenSequence {
  std::vector<int32_t> ids;
  std::vector<float> logits;  // ids.size() x vocab
  int vocab = 0;
};

GoldenSequence load_sequence(const std::string& name) {
  std::ifstream in(kGolden + "/golden/golden.json");
  const nlohmann::json g = nlohmann::json::parse(in);
  GoldenSequence s;
  s.vocab = g.at("vocab_size").get<int>();
  for (const auto& seq : g.at("sequences")) {
    if (seq.at("name") != name) continue;
    s.ids = seq.at("ids").get<std::vector<int32_t>>();
    std::ifstream bin(kGolden + "/golden/" + seq.at("logits").at("file").get<std::string>(), std::ios::binary);
    s.logits.resize(s.ids.size() * static_cast<size_t>(s.vocab));
    bin.read(reinterpret_cast<char*>(s.logits.data()), static_cast<std::streamsize>(s.logits.size() * sizeof(float)));
    if (!bin) s.logits.clear();
  }
  return s;
}

// NLL of ids[p+1] given the golden logits at p, for the scored positions of one window of
// length ctx that starts at position 0 of the golden sequence: p = ctx/2 .. ctx-2.
std::vector<double> golden_window_nll(const GoldenSequence& s, int ctx) {
  std::vector<double> nll;
  for (int p = ctx / 2; p <= ctx - 2; ++p) {
    const float* l = &s.logits[static_cast<size_t>(p) * static_cast<size_t>(s.vocab)];
    double m = l[0];
    for (int v = 0; v < s.vocab; ++v) m = std::max(m, double(l[v]));
    double sum = 0;
    for (int v = 0; v < s.vocab; ++v) sum += std::exp(double(l[v]) - m);
    nll.push_back(m + std::log(sum) - double(l[s.ids[static_cast<size_t>(p) + 1]]));
  }
  return nll;
}

struct Ppl {
  double ppl = NAN, err = NAN;
};

Ppl expected_ppl(const std::vector<double>& nll) {
  double sum = 0, sum2 = 0;
  for (double v : nll) {
    sum += v;
    sum2 += v * v;
  }
  const double n = double(nll.size()), mean = sum / n;
  return {std::exp(mean), std::sqrt((sum2 / n - mean * mean) / (n - 1)) * std::exp(mean)};
}

Ppl parse_ppl(const std::string& out) {
  Ppl p;
  const size_t at = out.find("PPL = ");
  if (at != std::string::npos) std::sscanf(out.c_str() + at, "PPL = %lf ± %lf", &p.ppl, &p.err);
  return p;
}

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string t;
  for (int32_t id : ids) t += std::to_string(id) + " ";
  return t;
}

std::string perplexity_command(const std::string& input, const std::string& extra) {
  // f32 KV cache: the golden logits are float32 throughout (an f16 cache moves them).
  return shell_quote(TERN_BINARY) + " perplexity -m " + shell_quote(converted_tiny_a()) + " " + input +
         " --kv-type f32 -t 1 " + extra;
}

// `tern perplexity` on `ids`, written to a scratch --ids-file, with `extra` options.
CommandResult perplexity_on_ids(const std::vector<int32_t>& ids, const std::string& extra) {
  ScratchDir dir;
  write_text(dir / "ids.txt", ids_text(ids));
  return run_command(perplexity_command("--ids-file " + shell_quote(dir / "ids.txt"), extra));
}

}  // namespace

// 33 tokens: every logit is within the short tier (1e-3) of the golden, so each NLL is within
// 2e-3 (a log-softmax moves at most twice the largest logit change) and PPL within e^0.002.
TEST(PerplexityGolden, Len33WindowMatchesGoldenLogits) {
  ASSERT_FALSE(converted_tiny_a().empty()) << "tern convert of golden/tiny-a failed";
  const GoldenSequence s = load_sequence("len33");
  ASSERT_EQ(s.ids.size(), 33u);
  ASSERT_FALSE(s.logits.empty());
  const Ppl want = expected_ppl(golden_window_nll(s, 33));
  CommandResult r = perplexity_on_ids(s.ids, "-c 33");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Ppl got = parse_ppl(r.out);
  EXPECT_NEAR(std::log(got.ppl), std::log(want.ppl), 2e-3) << r.out;
  EXPECT_NEAR(got.err, want.err, 4e-3 * want.err) << r.out;
  EXPECT_NE(r.out.find("1 chunks x 33 tokens, 16 tokens scored"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("[1/1]"), std::string::npos) << "progress line on stderr\n" << r.err;
}

// 200 tokens: the long tier allows |Δlogit| <= 1 at a few positions (int8 flips after exact
// float32 ties cascade through the cache), which bounds nothing useful per token; what keeps
// the mean tight is that flips are rare (the numerics study in golden.json: independent fp32
// engines stay within 0.26 of the reference at the worst logit). 0.05 in mean NLL (5% in
// PPL) catches any real error (a wrong scored range or BOS rule moves it by >> 0.1).
TEST(PerplexityGolden, Len200WindowMatchesGoldenLogits) {
  ASSERT_FALSE(converted_tiny_a().empty());
  const GoldenSequence s = load_sequence("len200");
  ASSERT_EQ(s.ids.size(), 200u);
  ASSERT_FALSE(s.logits.empty());
  const Ppl want = expected_ppl(golden_window_nll(s, 200));
  CommandResult r = perplexity_on_ids(s.ids, "-c 200 -b 37");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Ppl got = parse_ppl(r.out);
  EXPECT_NEAR(std::log(got.ppl), std::log(want.ppl), 0.05) << r.out;
  EXPECT_NE(r.out.find("99 tokens scored"), std::string::npos) << r.out;
}

// Two windows: the second's first token is not BOS in the file; llama-perplexity replaces it
// by BOS, which makes both windows the golden len33 sequence. A tail shorter than a window
// is dropped; --chunks limits the windows.
TEST(PerplexityGolden, EveryWindowStartsWithBos) {
  ASSERT_FALSE(converted_tiny_a().empty());
  const GoldenSequence s = load_sequence("len33");
  ASSERT_FALSE(s.logits.empty());
  std::vector<int32_t> ids = s.ids;
  std::vector<int32_t> second = s.ids;
  second[0] = 5;  // not BOS: must be replaced
  ids.insert(ids.end(), second.begin(), second.end());
  for (int i = 0; i < 7; ++i) ids.push_back(100 + i);  // the dropped tail
  std::vector<double> nll = golden_window_nll(s, 33);
  std::vector<double> both = nll;
  both.insert(both.end(), nll.begin(), nll.end());
  const Ppl want = expected_ppl(both);

  CommandResult r = perplexity_on_ids(ids, "-c 33 -b 8");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Ppl got = parse_ppl(r.out);
  EXPECT_NEAR(std::log(got.ppl), std::log(want.ppl), 2e-3) << r.out;
  EXPECT_NEAR(got.err, want.err, 4e-3 * want.err) << r.out;
  EXPECT_NE(r.out.find("2 chunks x 33 tokens, 32 tokens scored"), std::string::npos) << r.out;

  CommandResult one = perplexity_on_ids(ids, "-c 33 --chunks 1");
  ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_NE(one.out.find("1 chunks x 33 tokens, 16 tokens scored"), std::string::npos) << one.out;
  EXPECT_NEAR(std::log(parse_ppl(one.out).ppl), std::log(want.ppl), 2e-3) << one.out;
}

// A text file: tokenized by tern with BOS. The text is the golden ids decoded by the model's
// own tokenizer (tokenizer.json), which re-encodes to exactly those ids (checked first).
TEST(PerplexityGolden, TextFileTokenizedWithBos) {
  ASSERT_FALSE(converted_tiny_a().empty());
  const GoldenSequence s = load_sequence("len33");
  ASSERT_FALSE(s.logits.empty());
  const tern::tok::Tokenizer tok = tern::tok::Tokenizer::from_hf_json(kGolden + "/tokenizer.json",
                                                                       kGolden + "/tokenizer_config.json");
  const std::vector<int32_t> body(s.ids.begin() + 1, s.ids.end());
  const std::string text = tok.decode_bytes(body);
  ASSERT_EQ(tok.encode(text, /*add_bos=*/true), s.ids) << "precondition: the text re-encodes to the golden ids";
  ScratchDir dir;
  write_text(dir / "text.txt", text);
  CommandResult r = run_command(perplexity_command("-f " + shell_quote(dir / "text.txt"), "-c 33"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NEAR(std::log(parse_ppl(r.out).ppl), std::log(expected_ppl(golden_window_nll(s, 33)).ppl), 2e-3) << r.out;
  EXPECT_NE(r.err.find("into 33 tokens"), std::string::npos) << r.err;
}

TEST(PerplexityGolden, ClearErrors) {
  ASSERT_FALSE(converted_tiny_a().empty());
  ScratchDir dir;
  write_text(dir / "short.txt", "984 50 76");
  CommandResult short_file = run_command(perplexity_command("--ids-file " + shell_quote(dir / "short.txt"), "-c 33"));
  EXPECT_EQ(short_file.exit_code, 1);
  EXPECT_NE(short_file.err.find("3 tokens, fewer than one window of -c 33"), std::string::npos) << short_file.err;

  write_text(dir / "bad.txt", "984 50 1000 3");
  CommandResult bad_id = run_command(perplexity_command("--ids-file " + shell_quote(dir / "bad.txt"), "-c 3"));
  EXPECT_EQ(bad_id.exit_code, 1);
  EXPECT_NE(bad_id.err.find("token id 1000 (number 3) is outside the model's vocabulary [0, 1000)"), std::string::npos)
      << bad_id.err;

  write_text(dir / "junk.txt", "984 fifty");
  CommandResult junk = run_command(perplexity_command("--ids-file " + shell_quote(dir / "junk.txt"), "-c 3"));
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_NE(junk.err.find("expected a token id, found 'fifty'"), std::string::npos) << junk.err;

  CommandResult neither = run_command(perplexity_command("", "-c 33"));
  EXPECT_EQ(neither.exit_code, 1);
  EXPECT_NE(neither.err.find("exactly one of -f FILE or --ids-file FILE"), std::string::npos) << neither.err;
}
