// The command line a llama.cpp user types, through the real binary: llama.cpp's spellings
// mean what they mean there (-s seed, -sys system prompt, -cnv / -no-cnv), GPU-only flags are
// accepted with a note, other one-dash words are refused by name instead of being split into
// letters, values are range-checked alike in every subcommand, -t is kept within the cores,
// and bare `tern` shows what there is.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "cli/bench_cli_util.h"

using tern::testing::run_command;
using tern::testing::shell_quote;

namespace {

const std::string kDemo = std::string(TERN_SOURCE_DIR) + "/models/tern-demo-6m.gguf";

std::string tern(const std::string& sub, const std::string& flags) {
  return shell_quote(TERN_BINARY) + " " + sub + " -m " + shell_quote(kDemo) + " " + flags;
}
std::string run(const std::string& flags) { return tern("run", "-t 1 -n 8 -p " + shell_quote("Once upon a time") + " " + flags); }

TEST(FlagSpellings, DashSIsTheSeed) {
  auto s = run_command(run("--temp 0.9 -s 42"));
  auto seed = run_command(run("--temp 0.9 --seed 42"));
  ASSERT_EQ(s.exit_code, 0) << s.err;
  ASSERT_EQ(seed.exit_code, 0) << seed.err;
  EXPECT_EQ(s.out, seed.out);
  auto text = run_command(run("-s hello"));
  EXPECT_NE(text.exit_code, 0) << "-s takes a number now, not a system prompt";
  EXPECT_NE(text.err.find("--seed"), std::string::npos) << text.err;
}

TEST(FlagSpellings, DashSysIsTheSystemPrompt) {
  auto sys = run_command(run("--chat -sys " + shell_quote("You are terse.")));
  auto long_form = run_command(run("--chat --system-prompt " + shell_quote("You are terse.")));
  auto old_form = run_command(run("--chat --system " + shell_quote("You are terse.")));
  ASSERT_EQ(sys.exit_code, 0) << sys.err;
  ASSERT_EQ(long_form.exit_code, 0) << long_form.err;
  EXPECT_EQ(sys.out, long_form.out);
  EXPECT_EQ(old_form.out, long_form.out);
  // The value of an option is never rewritten: a prompt may be "-sys".
  auto value = run_command(tern("run", "-t 1 -n 2 -p -sys"));
  EXPECT_EQ(value.exit_code, 0) << value.err;
}

TEST(FlagSpellings, GpuOnlyFlagsAreAcceptedWithANote) {
  auto plain = run_command(run(""));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  for (const std::string flags : {"-ngl 0", "-ngl 99 -fa", "-fa on", "--n-gpu-layers 33", "--flash-attn auto", "-fa -ngl 1"}) {
    auto r = run_command(run(flags));
    ASSERT_EQ(r.exit_code, 0) << flags << ": " << r.err;
    EXPECT_EQ(r.out, plain.out) << flags;
    EXPECT_NE(r.err.find("ignored"), std::string::npos) << flags << ": " << r.err;
  }
  auto missing = run_command(run("-ngl"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("-ngl"), std::string::npos) << missing.err;
}

TEST(FlagSpellings, ConversationFlagsPointToTheRightSubcommand) {
  EXPECT_EQ(run_command(run("-no-cnv")).exit_code, 0);
  auto cnv = run_command(run("-cnv"));
  EXPECT_NE(cnv.exit_code, 0);
  EXPECT_NE(cnv.err.find("tern chat"), std::string::npos) << cnv.err;
  auto chat = run_command("printf 'Hi\\n' | " + tern("chat", "-t 1 -n 4 --temp 0 -cnv"));
  EXPECT_EQ(chat.exit_code, 0) << chat.err;
  auto no = run_command("printf 'Hi\\n' | " + tern("chat", "-t 1 -n 4 -no-cnv"));
  EXPECT_NE(no.exit_code, 0);
  EXPECT_NE(no.err.find("tern run"), std::string::npos) << no.err;
}

TEST(FlagSpellings, OtherOneDashWordsAreRefusedByName) {
  for (const std::string w : {"-xyz", "-hello", "-sy"}) {
    auto r = run_command(run(w));
    EXPECT_NE(r.exit_code, 0) << w;
    EXPECT_NE(r.err.find("'" + w + "'"), std::string::npos) << w << ": " << r.err;
  }
  // One-letter flags with their value attached still work.
  auto attached = run_command(tern("run", "-t1 -n4 -p Hi"));
  EXPECT_EQ(attached.exit_code, 0) << attached.err;
}

TEST(FlagSpellings, ValuesAreRangeCheckedAlikeInRunAndChat) {
  for (const std::string sub : {"run", "chat"}) {
    for (const auto& [flags, name] : {std::pair<std::string, std::string>{"--top-p 5", "--top-p"},
                                      {"--top-k -3", "--top-k"},
                                      {"--min-p 2", "--min-p"},
                                      {"--temp -1", "--temp"},
                                      {"--repeat-penalty 0", "--repeat-penalty"},
                                      {"--repeat-last-n -2", "--repeat-last-n"},
                                      {"-n -5", "--n-predict"}}) {
      const std::string cmd = sub == "run" ? tern(sub, "-t 1 -p Hi " + flags) : "printf 'Hi\\n' | " + tern(sub, "-t 1 " + flags);
      auto r = run_command(cmd);
      EXPECT_NE(r.exit_code, 0) << sub << " " << flags;
      EXPECT_NE(r.err.find(name), std::string::npos) << sub << " " << flags << ": " << r.err;
    }
  }
  auto until_end = run_command(tern("run", "-t 1 -n -1 -c 64 -p Hi"));
  EXPECT_EQ(until_end.exit_code, 0) << "-n -1: until end of text or context; " << until_end.err;
}

TEST(FlagSpellings, ThreadsAboveTheCoresAreLowered) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto r = run_command(tern("run", "-n 2 -p Hi -t " + std::to_string(cores + 997)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("lowered to " + std::to_string(cores)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(std::to_string(cores) + (cores == 1 ? " thread" : " threads")), std::string::npos) << r.err;
}

TEST(FlagSpellings, ContextAboveTrainingIsNoted) {
  auto r = run_command(tern("run", "-t 1 -n 1 -p Hi -c 100000"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("above the context the model was trained on"), std::string::npos) << r.err;
}

TEST(FlagSpellings, BareTernShowsTheSubcommands) {
  auto r = run_command(shell_quote(TERN_BINARY));
  EXPECT_EQ(r.exit_code, 0);
  for (const char* sub : {"chat", "run", "serve", "bench", "convert", "info", "perplexity"}) {
    EXPECT_NE(r.out.find(sub), std::string::npos) << sub << "\n" << r.out;
  }
}

TEST(FlagSpellings, ErrorsNameTheSubcommandOnce) {
  auto r = run_command(shell_quote(TERN_BINARY) + " perplexity -m " + shell_quote(kDemo));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("tern perplexity: give exactly one"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("perplexity: perplexity"), std::string::npos) << r.err;
}

TEST(FlagSpellings, NoCarriageReturnsWhenStderrIsNotATerminal) {
  auto r = run_command(shell_quote(TERN_BINARY) + " bench -m " + shell_quote(kDemo) + " -p 8 -n 4 -r 2 -t 1 --no-bandwidth");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  tern::testing::ScratchDir dir;
  tern::testing::write_text(dir / "text.txt", std::string(3000, 'a') + " the end of it all. ");
  auto p = run_command(shell_quote(TERN_BINARY) + " perplexity -m " + shell_quote(kDemo) + " -t 1 -c 64 --chunks 2 -f " +
                       shell_quote(dir / "text.txt"));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.err.find('\r'), std::string::npos);
  EXPECT_NE(p.err.find("[2/2]"), std::string::npos) << "progress as whole lines\n" << p.err;
}

TEST(FlagSpellings, RunTextEndsWithANewlineBeforeTheStats) {
  auto r = run_command(run("") + " 2>&1");
  ASSERT_EQ(r.exit_code, 0);
  const size_t stats = r.out.find("tern run: kernel");
  ASSERT_NE(stats, std::string::npos) << r.out;
  ASSERT_GT(stats, 0u);
  EXPECT_EQ(r.out[stats - 1], '\n') << r.out;
}

}  // namespace

namespace {

TEST(FlagSpellings, HelpShowsTheDefaults) {
  auto serve = run_command(shell_quote(TERN_BINARY) + " serve --help");
  EXPECT_NE(serve.out.find("=8080"), std::string::npos) << serve.out;    // --port
  EXPECT_NE(serve.out.find("=1048576"), std::string::npos) << serve.out; // --max-body
  auto run = run_command(shell_quote(TERN_BINARY) + " run --help");
  EXPECT_NE(run.out.find("=64"), std::string::npos) << run.out;  // -b
  EXPECT_NE(run.out.find("=32"), std::string::npos) << run.out;  // -n
}

}  // namespace
