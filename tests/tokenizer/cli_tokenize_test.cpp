// `tern tokenize` end to end (runs the TERN_BINARY built beside the tests).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "tokenizer_test_util.h"

namespace tern::tok {
namespace {

struct CliRun {
  int status;
  std::string out;
};

CliRun run(const std::string& args) {
  std::string cmd = std::string(TERN_BINARY) + " tokenize " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  return {::pclose(p), out};
}

class CliTokenize : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(TERN_BINARY)) GTEST_SKIP() << "tern binary not built: " << TERN_BINARY;
  }
  const std::string llama3 = "--tokenizer " + test::shared_path("tokenizers/llama3/tokenizer.json");
};

TEST_F(CliTokenize, IdsOnlyPlainByDefault) {
  CliRun r = run(llama3 + " -p 'Hello world<|eot_id|>' --ids-only");
  EXPECT_EQ(r.status, 0) << r.out;
  // No BOS, and the special-token text is ordinary text.
  EXPECT_EQ(r.out.substr(0, 10), "9906 1917 ");
  EXPECT_EQ(r.out.find("128009"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST_F(CliTokenize, ParseSpecialAndBos) {
  CliRun r = run(llama3 + " -p 'Hello world<|eot_id|>' --ids-only --parse-special --bos");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "128000 9906 1917 128009\n");
}

TEST_F(CliTokenize, IdTabPieceLinesWithEscapes) {
  CliRun r = run(llama3 + " -p \"$(printf 'Hi\\n\\tx')\"");
  EXPECT_EQ(r.status, 0) << r.out;
  // "Hi" "\n" "\t" "x" (the tokens of the Llama 3 vocab), control bytes escaped.
  EXPECT_NE(r.out.find("13347\tHi\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\\t"), std::string::npos) << r.out;
}

TEST_F(CliTokenize, FromGgufModelAndFile) {
  Vocab v = vocab_from_hf_json(test::shared_path("golden/tiny-a/tokenizer.json"),
                               test::shared_path("golden/tiny-a/tokenizer_config.json"));
  std::string model = test::write_tokenizer_gguf(v, "cli_tiny.gguf", "llama-bpe");
  std::string text_file = model + ".txt";
  {
    std::ofstream(text_file, std::ios::binary) << "<|eot_id|> is special";
  }
  CliRun r = run("-m " + model + " -f " + text_file + " --ids-only --parse-special --bos");
  std::remove(model.c_str());
  std::remove(text_file.c_str());
  EXPECT_EQ(r.status, 0) << r.out;
  // tokenizer_golden.json: "<|eot_id|> is special" -> 6 ids from tokenizers.js.
  std::ifstream in(test::shared_path("golden/tokenizer_golden.json"));
  auto golden = nlohmann::json::parse(in);
  std::string want;
  for (const auto& c : golden["encode"]) {
    if (c["text"] != "<|eot_id|> is special") continue;
    for (int id : c["ids"]) {
      if (!want.empty()) want += ' ';
      want += std::to_string(id);
    }
  }
  EXPECT_EQ(r.out, want + "\n");
}

TEST_F(CliTokenize, ErrorsAreReported) {
  CliRun r = run("-m /nonexistent.gguf -p x");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("/nonexistent.gguf"), std::string::npos) << r.out;
  r = run(llama3);  // no text
  EXPECT_NE(r.status, 0);
}

}  // namespace
}  // namespace tern::tok
