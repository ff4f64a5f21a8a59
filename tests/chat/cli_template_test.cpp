// `tern template`: the golden conversations through the CLI, from a tokenizer_config.json
// and from GGUF files, must print the golden prompt byte for byte (no newline added).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "platform/environment.h"

namespace {

namespace fs = std::filesystem;

struct Result {
  int status;
  std::string out;
};

Result run(const std::string& args) {
  std::string cmd = std::string(TERN_BINARY) + " " + args;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  std::string out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  return {pclose(p), out};
}

std::string shared(const std::string& rel) { return std::string(TERN_SHARED_DIR) + "/" + rel; }

class CliTemplate : public ::testing::Test {
 public:
  void SetUp() override {
    if (!fs::exists(TERN_BINARY)) GTEST_SKIP() << "the tern binary is not built: " << TERN_BINARY;
    dir_ = fs::temp_directory_path() / ("tern_cli_template_" + std::to_string(tern::process_id()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
};

// Writes each golden case of `template_name` as a messages file, runs the CLI with
// `source_args`, and compares with the golden render.
void check_cases(CliTemplate& t, const std::string& template_name, const std::string& source_args,
                 int* checked) {
  std::ifstream cf(shared("chat/cases.jsonl"));
  std::string line;
  while (std::getline(cf, line)) {
    auto c = nlohmann::ordered_json::parse(line);
    if (c["template"] != template_name) continue;
    std::string msgs = t.write("messages.json", c["messages"].dump());
    bool gen = c["add_generation_prompt"].get<bool>();
    Result r = run(source_args + " --messages " + msgs + (gen ? " --add-generation-prompt" : "") + " 2>/dev/null");
    EXPECT_EQ(r.status, 0) << c["name"];
    EXPECT_EQ(r.out, c["rendered"].get<std::string>()) << c["name"] << " gen=" << gen;
    ++*checked;
  }
}

TEST_F(CliTemplate, TokenizerConfigRendersGoldenCasesByteForByte) {
  auto templates = nlohmann::json::parse(std::ifstream(shared("chat/templates.json")));
  int checked = 0;
  for (const char* name : {"bitnet-b1.58-2B-4T", "llama-3-instruct"}) {
    nlohmann::json cfg = {{"chat_template", templates[name]["chat_template"]},
                          {"bos_token", {{"content", templates[name]["bos_token"]}, {"special", true}}},
                          {"eos_token", templates[name]["eos_token"]}};
    std::string cfg_path = write(std::string(name) + "_tokenizer_config.json", cfg.dump());
    check_cases(*this, name, "template --tokenizer-config " + cfg_path, &checked);
  }
  EXPECT_EQ(checked, 120);
}

TEST_F(CliTemplate, GoldenModelFiles) {
  // The golden tiny model ships the 2B4T tokenizer_config.json.
  int checked = 0;
  check_cases(*this, "bitnet-b1.58-2B-4T",
              "template --tokenizer-config " + shared("golden/tiny-a/tokenizer_config.json"), &checked);
  EXPECT_EQ(checked, 60);
  // A GGUF written by llama.cpp's converter carries the same template as
  // tokenizer.chat_template, and bos/eos as token ids.
  std::string gguf = shared("peers/tiny-a/tiny-a-tq2_0.gguf");
  ASSERT_TRUE(fs::exists(gguf)) << gguf;
  check_cases(*this, "bitnet-b1.58-2B-4T", "template -m " + gguf, &checked);
  EXPECT_EQ(checked, 120);
}

TEST_F(CliTemplate, MissingTemplateUsesFallbackAndSaysSo) {
  std::string cfg = write("tokenizer_config.json", R"({"bos_token": "<|begin_of_text|>"})");
  std::string msgs = write("m.json", R"({"messages": [{"role": "user", "content": " hi "}]})");
  Result r = run("template --tokenizer-config " + cfg + " --messages " + msgs + " --add-generation-prompt 2>&1");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("no chat template; using the built-in Llama 3 fallback"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                       "<|start_header_id|>assistant<|end_header_id|>\n\n"),
            std::string::npos)
      << r.out;
}

TEST_F(CliTemplate, ErrorsNameTheProblem) {
  std::string cfg = write("tokenizer_config.json", R"({"chat_template": "{{ x | wordwrap }}"})");
  std::string msgs = write("m.json", "[]");
  Result r = run("template --tokenizer-config " + cfg + " --messages " + msgs + " 2>&1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("line 1, column 8: unsupported filter 'wordwrap'"), std::string::npos) << r.out;
  std::string bad = write("bad.json", "{\"messages\": 3}");
  r = run("template --tokenizer-config " + cfg + " --messages " + bad + " 2>&1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("\"messages\" must be a list"), std::string::npos) << r.out;
}

}  // namespace
