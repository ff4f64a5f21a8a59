// Every render in ../shared/chat/cases.jsonl (made by @huggingface/jinja and checked with
// jinja2), byte for byte, from the template text in templates.json.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tern/chat_template.h"

namespace {

std::string shared(const std::string& rel) { return std::string(TERN_SHARED_DIR) + "/chat/" + rel; }

TEST(ChatGolden, AllCasesRenderByteForByte) {
  std::ifstream tf(shared("templates.json"));
  ASSERT_TRUE(tf) << shared("templates.json");
  nlohmann::ordered_json templates = nlohmann::ordered_json::parse(tf);
  std::map<std::string, tern::ChatTemplate> compiled;
  for (auto it = templates.begin(); it != templates.end(); ++it)
    compiled.emplace(it.key(), tern::ChatTemplate(it.value()["chat_template"].get<std::string>()));

  std::ifstream cf(shared("cases.jsonl"));
  ASSERT_TRUE(cf);
  std::string line;
  int n = 0, per_template_gen = 0;
  while (std::getline(cf, line)) {
    if (line.empty()) continue;
    auto c = nlohmann::ordered_json::parse(line);
    const std::string name = c["template"].get<std::string>() + "/" + c["name"].get<std::string>();
    ASSERT_TRUE(compiled.count(c["template"].get<std::string>())) << name;
    nlohmann::ordered_json extra = {{"bos_token", c["bos_token"]}, {"eos_token", c["eos_token"]}};
    bool gen = c["add_generation_prompt"].get<bool>();
    std::string got = compiled.at(c["template"].get<std::string>()).render(c["messages"], gen, extra);
    EXPECT_EQ(got, c["rendered"].get<std::string>()) << name << " add_generation_prompt=" << gen;
    ++n;
    per_template_gen += gen;
  }
  EXPECT_EQ(n, 120);
  EXPECT_EQ(per_template_gen, 60);
}

TEST(ChatGolden, JinjaFilesMatchTemplatesJson) {
  std::ifstream tf(shared("templates.json"));
  nlohmann::json templates = nlohmann::json::parse(tf);
  for (const char* name : {"bitnet-b1.58-2B-4T", "llama-3-instruct"}) {
    std::ifstream f(shared(std::string(name) + ".jinja"), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, templates[name]["chat_template"].get<std::string>()) << name;
  }
}

TEST(ChatGolden, FallbackIsLlama3AndFlagged) {
  std::ifstream tf(shared("templates.json"));
  nlohmann::json templates = nlohmann::json::parse(tf);
  tern::ChatTemplate fb = tern::ChatTemplate::from_model(std::nullopt);
  EXPECT_TRUE(fb.used_fallback());
  EXPECT_EQ(fb.source(), templates["llama-3-instruct"]["chat_template"].get<std::string>());
  tern::ChatTemplate own = tern::ChatTemplate::from_model(std::string("{{ 'x' }}"));
  EXPECT_FALSE(own.used_fallback());
  EXPECT_TRUE(tern::ChatTemplate::from_model(std::string()).used_fallback());
}

}  // namespace
