// `tern run` / `tern chat` with --spec (speculative decoding with drafts from the context):
// the same text as without on the demo model, greedy and seeded sampling alike, drafts
// reported, on by default, and out-of-range flags refused with the flag's name.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "cli/bench_cli_util.h"

using tern::testing::run_command;
using tern::testing::shell_quote;

namespace {

const std::string kDemo = std::string(TERN_SOURCE_DIR) + "/models/tern-demo-6m.gguf";
const std::string kPrompt =
    "Repeat the text. The old man walked down to the river in the morning, and he sat by the water and "
    "watched the boats go by. The old man walked down to the river";

std::string run(const std::string& flags) {
  return shell_quote(TERN_BINARY) + " run -m " + shell_quote(kDemo) + " -t 1 -p " + shell_quote(kPrompt) + " " + flags;
}

// "drafted D, accepted A" from the speculative stats line; -1 if absent.
long accepted(const std::string& err) {
  const size_t at = err.find("drafted ");
  long d = -1, a = -1;
  if (at == std::string::npos || std::sscanf(err.c_str() + at, "drafted %ld, accepted %ld", &d, &a) != 2) return -1;
  return a;
}

}  // namespace

TEST(SpecCli, RunGreedySameTextWithFewerPasses) {
  for (const std::string n : {"1", "2", "40"}) {
    auto plain = run_command(run("-n " + n + " --no-spec"));
    auto spec = run_command(run("-n " + n + " --spec --draft-max 6 --draft-policy always"));
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    ASSERT_EQ(spec.exit_code, 0) << spec.err;
    EXPECT_EQ(spec.out, plain.out) << "-n " << n;
    EXPECT_EQ(plain.err.find("speculative:"), std::string::npos);
  }
  auto spec = run_command(run("-n 40 --spec --draft-policy always"));
  EXPECT_GT(accepted(spec.err), 0) << spec.err;
}

// On by default, with the adaptive policy: the same text as --no-spec, and the stats line
// says what was drafted and declined (how much is a matter of measured time, not checked).
TEST(SpecCli, OnByDefaultSameText) {
  auto plain = run_command(run("-n 40 --no-spec"));
  auto dflt = run_command(run("-n 40"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(dflt.exit_code, 0) << dflt.err;
  EXPECT_EQ(dflt.out, plain.out);
  EXPECT_NE(dflt.err.find("tern run: speculative:"), std::string::npos) << dflt.err;
  EXPECT_NE(dflt.err.find("declined"), std::string::npos) << dflt.err;
  EXPECT_GE(accepted(dflt.err), 0) << dflt.err;
}

TEST(SpecCli, DraftPolicyMustBeKnown) {
  auto r = run_command(run("-n 4 --draft-policy sometimes"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--draft-policy"), std::string::npos) << r.err;
}

TEST(SpecCli, RunSampledSameTextAsPlain) {
  for (const std::string policy : {"always", "adaptive"}) {
    auto spec = run_command(run("-n 40 --temp 0.8 --seed 5 --spec --draft-policy " + policy));
    auto plain = run_command(run("-n 40 --temp 0.8 --seed 5 --no-spec"));
    ASSERT_EQ(spec.exit_code, 0) << spec.err;
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(spec.out, plain.out) << policy;
    EXPECT_FALSE(spec.out.empty());
  }
}

TEST(SpecCli, ChatGreedySameReplies) {
  auto chat = [](const std::string& flags) {
    return "printf 'Say: the old man walked down to the river, the old man walked\\nAgain\\n' | " +
           shell_quote(TERN_BINARY) + " chat -m " + shell_quote(kDemo) + " -t 1 --temp 0 -n 40 " + flags;
  };
  auto plain = run_command(chat("--no-spec"));
  auto spec = run_command(chat("--spec --draft-policy always -v"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(spec.exit_code, 0) << spec.err;
  EXPECT_EQ(spec.out, plain.out);
  // The -v stats lines: drafts were accepted (fewer forward passes than generated tokens).
  long generated = 0, passes = 0;
  for (size_t pos = spec.err.find("[turn: "); pos != std::string::npos; pos = spec.err.find("[turn: ", pos + 1)) {
    const std::string line = spec.err.substr(pos, spec.err.find('\n', pos) - pos);
    long p = 0, r = 0, e = 0, g = 0, f = 0;
    const size_t gen = line.find("generation ");
    ASSERT_EQ(std::sscanf(line.c_str(), "[turn: %ld prompt tokens (%ld reused from the KV cache, %ld evaluated), %ld generated;",
                          &p, &r, &e, &g), 4) << line;
    ASSERT_NE(gen, std::string::npos) << line;
    ASSERT_EQ(std::sscanf(line.c_str() + gen, "generation %*f t/s; %ld forward passes", &f), 1) << line;
    generated += g;
    passes += f;
  }
  EXPECT_GT(generated, 0) << spec.err;
  EXPECT_LT(passes, generated) << spec.err;
}

TEST(SpecCli, FlagsOutOfRangeNameTheFlag) {
  for (const auto& [flags, name] : {std::pair<std::string, std::string>{"--draft-max 0", "--draft-max"},
                                    {"--draft-max 65", "--draft-max"},
                                    {"--draft-min 0", "--draft-min"},
                                    {"--ngram-min 0", "--ngram-min"},
                                    {"--ngram-max 17", "--ngram-max"},
                                    {"--draft-max 4 --draft-min 5", "--draft-min"},
                                    {"--ngram-min 3 --ngram-max 2", "--ngram-max"}}) {
    auto r = run_command(run("-n 4 --spec " + flags));
    EXPECT_NE(r.exit_code, 0) << flags;
    EXPECT_NE(r.err.find(name), std::string::npos) << flags << ": " << r.err;
  }
}

TEST(SpecCli, ServeRefusesBadDraftFlagsBeforeLoading) {
  for (const auto& [flags, name] : {std::pair<std::string, std::string>{"--draft-max 0", "--draft-max"},
                                    {"--draft-max 4 --draft-min 5", "--draft-min"}}) {
    // timeout: a serve that wrongly accepted the flags would otherwise listen forever
    auto r = run_command("timeout 20 " + shell_quote(TERN_BINARY) + " serve -m " + shell_quote(kDemo) + " --port 0 --spec " + flags);
    EXPECT_NE(r.exit_code, 0) << flags;
    EXPECT_NE(r.err.find(name), std::string::npos) << flags << ": " << r.err;
  }
}
