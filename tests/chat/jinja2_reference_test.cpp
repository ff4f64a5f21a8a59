// ~475 templates rendered by Python jinja2 as transformers configures it
// (tests/chat/jinja2_cases.json, made by make_jinja2_cases.py): feature cases and random
// whitespace-control templates must match byte for byte; where jinja2 raises, we must too.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "tern/chat_template.h"
#include "tern/error.h"

namespace {

// Python features we reject on purpose (an error, never a different prompt).
const std::set<std::string> k_rejected_on_purpose = {
    "{{ 'a' %s }}",                                                   // printf-style % formatting
};

TEST(ChatJinja2Reference, MatchesJinja2) {
  std::ifstream f(std::string(TERN_SOURCE_DIR) + "/tests/chat/jinja2_cases.json");
  ASSERT_TRUE(f);
  auto cases = nlohmann::ordered_json::parse(f);
  ASSERT_GE(cases.size(), 400u);
  int rendered = 0, errors = 0, rejected = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const std::string tpl = c["template"].get<std::string>();
    const auto& ctx = c["context"];
    auto messages = ctx.contains("messages") ? ctx["messages"] : nlohmann::ordered_json::array();
    bool gen = ctx.value("add_generation_prompt", false);
    std::string got, err;
    try {
      got = tern::ChatTemplate(tpl).render(messages, gen, ctx);
    } catch (const tern::Error& e) {
      err = e.what();
    }
    if (c.contains("expected")) {
      if (k_rejected_on_purpose.count(tpl)) {
        EXPECT_FALSE(err.empty()) << "case " << i << " is listed as rejected but rendered";
        ++rejected;
        continue;
      }
      EXPECT_EQ(err, "") << "case " << i << ": " << tpl;
      EXPECT_EQ(got, c["expected"].get<std::string>()) << "case " << i << " (" << c["kind"] << "): " << tpl;
      ++rendered;
    } else {
      EXPECT_NE(err, "") << "case " << i << ": jinja2 raised " << c["error"] << " but we rendered: " << got;
      EXPECT_NE(err.find("chat template"), std::string::npos) << err;
      ++errors;
    }
  }
  EXPECT_GE(rendered, 450);
  EXPECT_GE(errors, 10);
  EXPECT_EQ(rejected, 1);
}

}  // namespace
