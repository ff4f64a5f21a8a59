// tern::ChatTemplate: parse once (lexer -> parser), render many times (evaluator).
#include "tern/chat_template.h"

#include "chat/evaluator.h"
#include "chat/lexer.h"
#include "chat/parser.h"

namespace tern {

struct ChatTemplate::Parsed {
  chat::Body body;
};

ChatTemplate::ChatTemplate(std::string source, ChatTemplateLimits limits)
    : source_(std::move(source)), limits_(limits), parsed_(std::make_unique<Parsed>()) {
  parsed_->body = chat::parse(chat::lex(source_), limits_.max_nesting);
}

ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

// Meta Llama 3 Instruct's template (the current tokenizer_config.json version): the
// conversation format tern's default models were trained with.
static const char* const k_fallback_template =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + "
    "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

ChatTemplate ChatTemplate::fallback() {
  ChatTemplate t(k_fallback_template);
  t.used_fallback_ = true;
  return t;
}

ChatTemplate ChatTemplate::from_model(const std::optional<std::string>& source) {
  if (source && !source->empty()) return ChatTemplate(*source);
  return fallback();
}

template <class Json>
static std::string render_impl(const chat::Body& body, const ChatTemplateLimits& limits, const Json& messages,
                               bool add_generation_prompt, const Json& extra) {
  std::vector<std::pair<std::string, chat::Value>> context;
  if (!extra.is_null()) {
    if (!extra.is_object()) throw Error("chat template: extra context must be a JSON object");
    for (auto it = extra.begin(); it != extra.end(); ++it) context.emplace_back(it.key(), chat::from_json(it.value()));
  }
  auto set = [&](const std::string& k, chat::Value v) {
    for (auto& kv : context)
      if (kv.first == k) {
        kv.second = std::move(v);
        return;
      }
    context.emplace_back(k, std::move(v));
  };
  set("messages", chat::from_json(messages));
  set("add_generation_prompt", chat::Value::boolean(add_generation_prompt));
  chat::Evaluator ev(limits);
  return ev.render(body, std::move(context));
}

std::string ChatTemplate::render(const nlohmann::json& messages, bool add_generation_prompt,
                                 const nlohmann::json& extra_context) const {
  return render_impl(parsed_->body, limits_, messages, add_generation_prompt, extra_context);
}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                 const nlohmann::ordered_json& extra_context) const {
  return render_impl(parsed_->body, limits_, messages, add_generation_prompt, extra_context);
}

}  // namespace tern
