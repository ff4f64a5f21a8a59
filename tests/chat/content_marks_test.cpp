// Provenance through the interpreter: which bytes of a render came from the messages
// (ChatTemplate::render_marked). Markup the template writes around message text stays
// unmarked; anything computed from message text is marked (byte for byte where the
// operation keeps bytes: concatenation, slicing, trim/strip, join; wholly otherwise).
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tern/chat_template.h"

namespace {

using ojson = nlohmann::ordered_json;

const ojson k_messages = ojson::parse(R"([{"role": "user", "content": " Hi there "},
                                          {"role": "wizard", "content": "<|eot_id|>"}])");

// The render with every run of message bytes in « ».
std::string marked(const tern::MarkedRender& r) {
  std::string out;
  size_t at = 0;
  for (const tern::TextSpan& s : r.from_messages) {
    EXPECT_LE(at, s.begin);
    EXPECT_LT(s.begin, s.end);
    out += r.text.substr(at, s.begin - at) + "«" + r.text.substr(s.begin, s.end - s.begin) + "»";
    at = s.end;
  }
  EXPECT_LE(at, r.text.size());
  return out + r.text.substr(at);
}

std::string marked(const std::string& tpl, const ojson& messages = k_messages) {
  const tern::ChatTemplate t(tpl);
  const tern::MarkedRender r = t.render_marked(messages, false);
  EXPECT_EQ(r.text, t.render(messages, false)) << tpl;
  return marked(r);
}

struct Case {
  const char* tpl;
  const char* want;  // the render, message bytes in « »
};

const Case k_cases[] = {
    // Concatenation keeps the template's markup unmarked; touching runs merge.
    {"{{ '<|a|>' + messages[0]['content'] + '<|b|>' }}", "<|a|>« Hi there »<|b|>"},
    {"{{ '<|a|>' ~ messages[0]['content'] ~ 1 }}", "<|a|>« Hi there »1"},
    {"{% for m in messages %}<{{ m.content }}>{% endfor %}", "<« Hi there »><«<|eot_id|>»>"},
    {"{{ messages[1]['content'] + messages[1]['content'] }}", "«<|eot_id|><|eot_id|>»"},
    // strip / trim keep the marks on what remains.
    {"{{ messages[0]['content'] | trim }}", "«Hi there»"},
    {"{{ ('[' + messages[0]['content']) | trim }}", "[« Hi there»"},
    {"{{ messages[0]['content'].strip() }}|{{ messages[0]['content'].lstrip() }}|"
     "{{ messages[0]['content'].rstrip() }}|{{ ('x' + messages[0]['content']).strip('x ') }}",
     "«Hi there»|«Hi there »|« Hi there»|«Hi there»"},
    // Slicing, indexing, iteration and repetition follow each character.
    {"{{ messages[0]['content'][1:3] }}|{{ ('ab' + messages[0]['content'])[1:4] }}|{{ messages[0]['content'][1] }}",
     "«Hi»|b« H»|«H»"},
    {"{% for ch in 'x' + messages[0]['content'][:3] %}{{ ch }}.{% endfor %}", "x.« ».«H».«i»."},
    {"{{ messages[0]['content'][1:3] * 2 }}", "«HiHi»"},
    // join keeps the marks on its parts.
    {"{{ [messages[0]['content'] | trim, 'T'] | join('<|sep|>') }}", "«Hi there»<|sep|>T"},
    {"{{ '-'.join(['a', messages[0]['content'] | trim]) }}", "a-«Hi there»"},
    {"{{ messages | map(attribute='content') | join('|') }}", "« Hi there »|«<|eot_id|>»"},
    // Any other filter or method computing a string from message text: the whole result is
    // message text, the template's arguments included (a replacement cannot smuggle markup in).
    {"{{ ('<|a|>' + messages[0]['content']) | upper }}", "«<|A|> HI THERE »"},
    {"{{ messages[0]['content'] | replace('Hi', '<|eot_id|>') }}", "« <|eot_id|> there »"},
    {"{{ messages[0]['content'].replace('Hi', '<|x|>') }}", "« <|x|> there »"},
    {"{{ messages[0]['content'].split()[0] }}", "«Hi»"},
    {"{{ messages[0] }}", "«{'role': 'user', 'content': ' Hi there '}»"},
    {"{{ messages[0]['content'] | tojson }}", "«\" Hi there \"»"},
    {"{% filter upper %}a{{ messages[0]['content'] | trim }}{% endfilter %}", "«AHI THERE»"},
    {"{{ messages[0]['content'] | reverse }}", "« ereht iH »"},
    {"{{ namespace(messages[0]) }}", "«<Namespace {'role': 'user', 'content': ' Hi there '}>»"},
    // Nothing from the messages: nothing marked.
    {"{{ 'ab' | upper }}{{ messages | length }}", "AB2"},
    // Filters passing values through keep each value's own marks.
    {"{{ messages | map(attribute='content') | first }}", "« Hi there »"},
    {"{{ (messages | selectattr('role', 'equalto', 'user') | list)[0]['content'] }}", "« Hi there »"},
    {"{{ messages[0]['missing'] | default('<|d|>') }}|{{ messages[0]['content'] | default('x') }}",
     "<|d|>|« Hi there »"},
    {"{{ messages[0]['content'] | string }}", "« Hi there »"},
    // State carried through namespaces, macros and blocks.
    {"{% set ns = namespace(x='<|s|>') %}{% set ns.x = ns.x + messages[0]['content'] | trim %}"
     "{% macro m(t) %}<{{ t }}>{% endmacro %}{% set b %}[{{ m(ns.x) }}]{% endset %}{{ b }}",
     "[<<|s|>«Hi there»>]"},
    // Standard role names are the template's to build markup from; any other role and
    // object keys are message text.
    {"{% for m in messages %}{{ '<|' + m['role'] + '|>' }}{% endfor %}", "<|user|><|«wizard»|>"},
    {"{{ messages[0]['role'] | capitalize }}", "User"},
    {"{% for k in messages[0] %}{{ k }};{% endfor %}", "«role»;«content»;"},
};

TEST(ContentMarks, EveryCase) {
  for (const Case& c : k_cases) EXPECT_EQ(marked(c.tpl), c.want) << c.tpl;
}

// Every other string a client sent is message text too: tool calls, keys, client context.
TEST(ContentMarks, ToolCallsAndClientContext) {
  const ojson tools = ojson::parse(R"([{"role": "assistant", "content": null,
      "tool_calls": [{"function": {"name": "f", "arguments": "<|eot_id|>"}}]}])");
  EXPECT_EQ(marked("{{ messages[0].tool_calls[0].function.name }}({{ messages[0].tool_calls[0].function.arguments }})",
                   tools),
            "«f»(«<|eot_id|>»)");
  // A namespace's repr shows its names: from message keys, they are message text.
  EXPECT_EQ(marked("{{ namespace(messages[0]) }}", ojson::parse(R"([{"<|k|>": 1}])")), "«<Namespace {'<|k|>': 1}>»");
  const tern::ChatTemplate t("{{ bos_token }}{{ tools }}");
  EXPECT_EQ(marked(t.render_marked(ojson::array(), false, {{"bos_token", "<s>"}}, {{"tools", "[t]"}})), "<s>«[t]»");
}

}  // namespace
