// Unsupported features fail with tern::Error naming the feature and its line:column;
// hostile templates (deep nesting, huge loops, exploding strings, runaway recursion,
// self-referencing objects) stop with an error instead of hanging or crashing.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "tern/chat_template.h"
#include "tern/error.h"

namespace {

const nlohmann::json k_messages = nlohmann::json::parse(R"([{"role":"user","content":"hi"}])");

// The error text of compiling + rendering `tpl`, or "" if it rendered.
std::string error_of(const std::string& tpl, tern::ChatTemplateLimits limits = {}) {
  try {
    tern::ChatTemplate(tpl, limits).render(k_messages, true, {{"bos_token", "<s>"}});
  } catch (const tern::Error& e) {
    return e.what();
  }
  return "";
}

void expect_error(const std::string& tpl, const std::string& where, const std::string& what) {
  std::string e = error_of(tpl);
  EXPECT_NE(e.find(where), std::string::npos) << tpl << "\n  -> " << e;
  EXPECT_NE(e.find(what), std::string::npos) << tpl << "\n  -> " << e;
}

TEST(ChatErrors, UnsupportedFeaturesNameFeatureAndPosition) {
  expect_error("{{ x | wordwrap }}", "line 1, column 8", "unsupported filter 'wordwrap'");
  expect_error("a\n  {% include 'x.j2' %}", "line 2, column 6", "unsupported tag 'include'");
  expect_error("{% extends 'base' %}", "line 1, column 4", "unsupported tag 'extends'");
  expect_error("{% call f() %}{% endcall %}", "line 1, column 4", "unsupported tag 'call'");
  expect_error("{% for x in y recursive %}{% endfor %}", "line 1, column 15", "recursive");
  expect_error("{{ x is sameas_not_a_test }}", "line 1, column 9", "unsupported test 'sameas_not_a_test'");
  expect_error("\n\n{{ f(*args) }}", "line 3, column 6", "*args");
  expect_error("{{ 'a %s' % 1 }}", "line 1, column 11", "printf-style");
  expect_error("{% frobnicate %}", "line 1, column 4", "unknown tag 'frobnicate'");
  expect_error("{{ 'x'.zfill(3) }}", "line 1, column 13", "no method 'zfill'");
  expect_error("{{ 99999999999999999999 }}", "line 1, column 4", "64 bits");
  expect_error("{{ '\\N{BULLET}' }}", "line 1, column 4", "\\N{...}");
  expect_error("{{ naïve }}", "line 1, column 6", "non-ASCII");
}

TEST(ChatErrors, SyntaxErrorsHavePositions) {
  expect_error("{{ 'abc }}", "line 1, column 4", "unterminated string");
  expect_error("{% if x %}never closed", "line 1", "missing 'elif' or 'else' or 'endif'");
  expect_error("{{ 1 + }}", "line 1, column 8", "expected an expression");
  expect_error("ok\n{# no end", "line 2, column 1", "missing end of comment");
  expect_error("{{ (1 }}", "line 1, column 7", "expected ')'");
  expect_error("{{ x ]] }}", "line 1, column 6", "unexpected ']'");
  expect_error("{% break %}", "line 1, column 4", "outside of a for loop");
  expect_error("{% raw %} no end", "line 1, column 1", "endraw");
  expect_error("{{ }}", "line 1, column 4", "expected an expression");
}

TEST(ChatErrors, RenderErrorsHavePositions) {
  expect_error("{{ raise_exception('no system message') }}", "line 1, column 19", "no system message");
  expect_error("{{ undefined_thing.attr }}", "line 1, column 19", "'undefined_thing' is undefined");
  expect_error("{{ 1 + 'a' }}", "line 1, column 6", "unsupported operand types for +");
  expect_error("{{ 1 // 0 }}", "line 1, column 6", "by zero");
  expect_error("{{ messages | tojson(indent=x) }}", "line 1", "must be an integer");
  expect_error("{% set x = 1 %}{% set x.attr = 2 %}", "line 1, column 19", "only namespace()");
  expect_error("{{ 2 ** 100 }}", "line 1, column 6", "overflow");
}

TEST(ChatLimits, DeepNestingIsRejectedNotAStackOverflow) {
  std::string parens = std::string(100000, '(') + "1" + std::string(100000, ')');
  EXPECT_NE(error_of("{{ " + parens + " }}").find("nested more than"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if 1 %}";
  EXPECT_NE(error_of(ifs).find("nested more than"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_NE(error_of("{{ " + nots + "1 }}").find("nested more than"), std::string::npos);
  std::string lists = std::string(50000, '[') + std::string(50000, ']');
  EXPECT_NE(error_of("{{ " + lists + " }}").find("nested more than"), std::string::npos);
  std::string minus(100000, '-');
  EXPECT_NE(error_of("{{ " + minus + "1 }}").find("nested more than"), std::string::npos);
}

TEST(ChatLimits, HugeLoopsStopWithinTheStepBudget) {
  auto t0 = std::chrono::steady_clock::now();
  std::string e = error_of(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}"
      "{% endfor %}{% endfor %}{% endfor %}");
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(e.find("steps"), std::string::npos) << e;
  EXPECT_LT(s, 60.0);  // 10 M steps: about a second in a Release build on an idle core
  EXPECT_NE(error_of("{{ range(1000000) }}").find("range()"), std::string::npos);
  EXPECT_NE(error_of("{{ range(0, 9223372036854775807, 2) | length }}").find("range()"), std::string::npos);
}

TEST(ChatLimits, ExplodingStringsAndListsAreBounded) {
  EXPECT_NE(error_of("{{ 'a' * 1000000000 }}").find("exceed"), std::string::npos);
  EXPECT_NE(error_of("{{ [1, 2] * 1000000000 }}").find("exceed"), std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}"
                     "{% endfor %}")
                .find("exceed"),
            std::string::npos);
  tern::ChatTemplateLimits small;
  small.max_output_bytes = 16;
  EXPECT_EQ(error_of("{{ 'x' * 16 }}", small), "");
  EXPECT_NE(error_of("{{ 'x' * 17 }}", small).find("exceed 16 bytes"), std::string::npos);
  EXPECT_NE(error_of("{% for i in range(20) %}x{% endfor %}", small).find("exceed 16 bytes"), std::string::npos);
}

TEST(ChatLimits, RunawayRecursionAndCyclesAreErrors) {
  EXPECT_NE(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("macro calls nested"),
            std::string::npos);
  // A namespace holding itself: printing it is an error (and ASan sees no leak).
  EXPECT_NE(error_of("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}").find("nested"), std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns | tojson }}").find(""), std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = [ns.l] %}{% endfor %}")
                .find("nested more than 256"),
            std::string::npos);
  // Macro that outlives its scope through a namespace: error, not a dangling pointer.
  std::string e = error_of(
      "{% set ns = namespace() %}{% for i in [1] %}{% macro m() %}x{% endmacro %}{% set ns.m = m %}{% endfor %}"
      "{{ ns.m() }}");
  EXPECT_NE(e.find("after its scope ended"), std::string::npos) << e;
}

TEST(ChatText, InvalidUtf8PassesThroughByteForByte) {
  std::string bad = "a\xff\xfe b\xc3";
  tern::ChatTemplate t("{{ messages[0].content | trim }}|{{ messages[0].content[1:3] | length }}");
  nlohmann::json m = nlohmann::json::array({{{"role", "user"}, {"content", bad}}});
  // Built programmatically, so nlohmann holds the raw bytes; each invalid byte is one character.
  EXPECT_EQ(t.render(m, false), bad + "|2");
  tern::ChatTemplate raw(std::string("x\xff{{ 1 }}\xc3"));
  EXPECT_EQ(raw.render(nlohmann::json::array(), false), std::string("x\xff" "1\xc3"));
}

// Case mapping hands invalid bytes (and an encoded surrogate, ED A0 80) back unchanged:
// libunistring would turn them into U+FFFD, so they never reach it.
TEST(ChatText, CaseMappingKeepsInvalidBytes) {
  std::string bad = "\xed\xa0\x80" "a\xff\xc3\x9f\xce\xa3";  // <surrogate> a <ff> ß Σ
  tern::ChatTemplate t("{{ messages[0].content | upper }}|{{ messages[0].content.lower() }}|"
                       "{{ messages[0].content.title() }}|{{ messages[0].content.isalpha() }}");
  nlohmann::json m = nlohmann::json::array({{{"role", "user"}, {"content", bad}}});
  EXPECT_EQ(t.render(m, false), "\xed\xa0\x80" "A\xff" "SS\xce\xa3|\xed\xa0\x80" "a\xff\xc3\x9f\xcf\x82|"
                                "\xed\xa0\x80" "A\xff" "Ss\xcf\x82|False");
}

TEST(ChatText, KeyOrderFollowsTheJsonType) {
  tern::ChatTemplate t("{{ messages[0] | tojson }}");
  auto ordered = nlohmann::ordered_json::parse(R"([{"role":"user","content":"x","b":1,"a":2}])");
  EXPECT_EQ(t.render(ordered, false), R"({"role": "user", "content": "x", "b": 1, "a": 2})");
  auto sorted = nlohmann::json::parse(R"([{"role":"user","content":"x","b":1,"a":2}])");
  EXPECT_EQ(t.render(sorted, false), R"({"a": 2, "b": 1, "content": "x", "role": "user"})");
}

TEST(ChatText, ExtraContextAndGenerationFlag) {
  tern::ChatTemplate t("{{ bos_token }}{{ tools | length }}{{ add_generation_prompt }}{{ eos_token is defined }}");
  nlohmann::json extra = {{"bos_token", "<B>"}, {"tools", nlohmann::json::array({1, 2, 3})}};
  EXPECT_EQ(t.render(nlohmann::json::array(), true, extra), "<B>3TrueFalse");
  EXPECT_THROW(t.render(nlohmann::json::array(), true, nlohmann::json::array()), tern::Error);
}

}  // namespace

namespace {

TEST(ChatText, TojsonIndentFollowsPythonJsonDumps) {
  auto render = [](const std::string& tpl) { return tern::ChatTemplate(tpl).render(nlohmann::json::array(), false); };
  EXPECT_EQ(render("{{ [1, [2], {}] | tojson }}"), "[1, [2], {}]");
  EXPECT_EQ(render("{{ [1, [2]] | tojson(indent=2) }}"), "[\n  1,\n  [\n    2\n  ]\n]");
  EXPECT_EQ(render("{{ [1, [2]] | tojson(indent=-1) }}"), "[\n1,\n[\n2\n]\n]");  // Python: ' ' * -1 == ''
  EXPECT_EQ(render("{{ {'a': 'é\"'} | tojson(ensure_ascii=true) }}"), "{\"a\": \"\\u00e9\\\"\"}");
  EXPECT_EQ(render("{{ {'a': 1, 'b': 2} | tojson(separators=(',', ':')) }}"), "{\"a\":1,\"b\":2}");
}

}  // namespace
