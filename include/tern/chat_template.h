// Chat templates: runs a model's own Jinja chat_template (tokenizer_config.json
// "chat_template", GGUF "tokenizer.chat_template") exactly as Hugging Face transformers
// renders it (jinja2 with trim_blocks and lstrip_blocks, transformers' tojson,
// raise_exception and strftime_now). A template that uses something this interpreter does
// not support fails with tern::Error naming the feature and its line and column: never a
// silently different prompt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tern/text_span.h"

namespace tern {

namespace chat {
struct Stmt;
}

// Bounds that keep hostile templates from hanging or exhausting memory or stack.
struct ChatTemplateLimits {
  std::size_t max_output_bytes = 16u << 20;  // rendered text, and any one string or list
  uint64_t max_steps = 10'000'000;           // evaluation steps (+1 per 64 bytes built): bounds render time
  int max_nesting = 64;                       // blocks / expressions nested in the source
  int max_call_depth = 64;                    // macro calls nested at render time
  int64_t max_range = 100'000;                // range() length (jinja2's sandbox MAX_RANGE)
};

// A render that remembers which of its bytes came from the messages (see render_marked).
struct MarkedRender {
  std::string text;
  std::vector<TextSpan> from_messages;  // sorted, disjoint byte ranges of text
};

class ChatTemplate {
 public:
  // Parses once; throws tern::Error "chat template: line L, column C: ..." on syntax errors
  // and unsupported tags, filters or tests.
  explicit ChatTemplate(std::string source, ChatTemplateLimits limits = {});
  ~ChatTemplate();
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

  // The template a model without one gets: Llama 3 Instruct's (with bos_token), used
  // only when the model file has no chat template; `used_fallback()` then says so.
  static ChatTemplate fallback();
  // `source` if the model has a template, else fallback().
  static ChatTemplate from_model(const std::optional<std::string>& source);

  // messages: a JSON array of {"role": ..., "content": ...} objects (any JSON is passed
  // through as-is). extra_context: an object whose keys become template variables
  // (bos_token, eos_token, tools, ...). Object key order is the json type's order; use the
  // ordered_json overload to keep a file's key order (it matters for tojson).
  std::string render(const nlohmann::json& messages, bool add_generation_prompt,
                     const nlohmann::json& extra_context = nlohmann::json::object()) const;
  std::string render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                     const nlohmann::ordered_json& extra_context = nlohmann::ordered_json::object()) const;

  // The same render, with the byte ranges of the text that came from the messages: every
  // string in them (content, names, tool-call arguments, object keys) except a message's
  // "role" when it is one of the standard role names (system, user, assistant, tool,
  // developer, function, ipython), which templates build their markup from
  // ('<|' + role + '|>'). A string the template computes from message text stays marked:
  // concatenation, slicing, trim/strip and join keep the marks byte for byte, and any other
  // filter or method marks its whole result. extra_context is the caller's own (trusted);
  // client-supplied context (tool definitions, ...) goes in client_context, whose strings
  // are marked like the messages'. Tokenize with Tokenizer::encode_marked.
  MarkedRender render_marked(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                             const nlohmann::ordered_json& extra_context = nlohmann::ordered_json::object(),
                             const nlohmann::ordered_json& client_context = nlohmann::ordered_json::object()) const;

  const std::string& source() const { return source_; }
  bool used_fallback() const { return used_fallback_; }

 private:
  struct Parsed;
  std::string source_;
  ChatTemplateLimits limits_;
  std::unique_ptr<Parsed> parsed_;
  bool used_fallback_ = false;
};

}  // namespace tern
