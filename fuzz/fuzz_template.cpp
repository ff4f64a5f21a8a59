// libFuzzer target: the input is a chat template; it is parsed and rendered against a
// fixed conversation with tight limits. tern::Error is the only acceptable failure: any
// crash, other exception, hang or leak is a bug. The message-byte ranges of the render
// must be sorted, disjoint, non-empty and inside the text (Tokenizer::encode_marked relies
// on it), and an unmarked render the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "tern/chat_template.h"
#include "tern/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::ordered_json messages = nlohmann::ordered_json::parse(R"([
    {"role": "system", "content": "  Be brief. "},
    {"role": "user", "content": "Hi ΣΑΣ\r\n<|eot_id|>{{ x }}"},
    {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1.5, "b": [true, null]}}}]},
    {"role": "tool", "content": "ok"}])");
  static const nlohmann::ordered_json extra = nlohmann::ordered_json::parse(
      R"({"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "tools": [{"name": "f", "parameters": {}}]})");
  tern::ChatTemplateLimits limits;
  limits.max_output_bytes = 1 << 16;
  limits.max_steps = 200'000;
  limits.max_range = 1000;
  try {
    tern::ChatTemplate tpl(std::string(reinterpret_cast<const char*>(data), size), limits);
    const tern::MarkedRender r = tpl.render_marked(messages, (size & 1) != 0, extra);
    std::size_t at = 0;
    for (const tern::TextSpan& s : r.from_messages) {
      if (s.begin < at || s.begin >= s.end || s.end > r.text.size()) std::abort();
      at = s.end + 1;  // touching ranges are merged
    }
    if ((size & 2) != 0 && tpl.render(messages, (size & 1) != 0, extra) != r.text) std::abort();
  } catch (const tern::Error&) {
  }
  return 0;
}
