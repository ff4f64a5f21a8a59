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

// Role names templates turn into markup: left unmarked (they hold no special-token text),
// so '<|' + role + '|>' still makes the control token <|user|>. Any other role is marked.
static bool standard_role(const chat::Value& v) {
  if (!v.is_string()) return false;
  for (const char* r : {"system", "user", "assistant", "tool", "developer", "function", "ipython"})
    if (v.str() == r) return true;
  return false;
}

// The messages as template values, every string marked content but standard roles.
template <class Json>
static chat::Value messages_value(const Json& messages) {
  chat::Value all = chat::from_json(messages, /*content=*/true);
  if (!all.is_list()) return all;
  std::vector<chat::Value> out;
  for (const chat::Value& m : all.items()) {
    if (!m.is_dict()) {
      out.push_back(m);
      continue;
    }
    std::vector<std::pair<chat::Value, chat::Value>> entries = m.entries();
    for (auto& [k, v] : entries)
      if (k.str() == "role" && standard_role(v)) v = chat::Value::string(v.str());
    out.push_back(chat::Value::dict(std::move(entries)));
  }
  return chat::Value::list(std::move(out));
}

template <class Json>
static chat::Output render_impl(const chat::Body& body, const ChatTemplateLimits& limits, const Json& messages,
                                bool add_generation_prompt, const Json& extra, const Json& client) {
  std::vector<std::pair<std::string, chat::Value>> context;
  auto set = [&](const std::string& k, chat::Value v) {
    for (auto& kv : context)
      if (kv.first == k) {
        kv.second = std::move(v);
        return;
      }
    context.emplace_back(k, std::move(v));
  };
  auto add = [&](const Json& vars, const char* what, bool content) {
    if (vars.is_null()) return;
    if (!vars.is_object()) throw Error(std::string("chat template: ") + what + " must be a JSON object");
    for (auto it = vars.begin(); it != vars.end(); ++it) set(it.key(), chat::from_json(it.value(), content));
  };
  add(extra, "extra context", false);
  add(client, "client context", true);
  set("messages", messages_value(messages));
  set("add_generation_prompt", chat::Value::boolean(add_generation_prompt));
  chat::Evaluator ev(limits);
  return ev.render(body, std::move(context));
}

std::string ChatTemplate::render(const nlohmann::json& messages, bool add_generation_prompt,
                                 const nlohmann::json& extra_context) const {
  return render_impl(parsed_->body, limits_, messages, add_generation_prompt, extra_context, nlohmann::json()).text;
}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                 const nlohmann::ordered_json& extra_context) const {
  return render_impl(parsed_->body, limits_, messages, add_generation_prompt, extra_context, nlohmann::ordered_json())
      .text;
}

MarkedRender ChatTemplate::render_marked(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                         const nlohmann::ordered_json& extra_context,
                                         const nlohmann::ordered_json& client_context) const {
  chat::Output out = render_impl(parsed_->body, limits_, messages, add_generation_prompt, extra_context, client_context);
  return MarkedRender{std::move(out.text), std::move(out.marks)};
}

}  // namespace tern
