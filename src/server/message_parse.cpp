#include "server/message_parse.h"

#include <string>
#include "server/request_parse.h"

namespace tern::server {
namespace {

using ojson = nlohmann::ordered_json;

[[noreturn]] void bad(const std::string& param, const std::string& why) { bad_field(param, why); }

// A string, or the text parts of an array joined with "\n".
std::string content_text(const ojson& content, const std::string& at) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) bad(at, "must be a string or an array of content parts");
  std::string text;
  for (size_t j = 0; j < content.size(); ++j) {
    const ojson& part = content[j];
    const std::string pat = at + "[" + std::to_string(j) + "]";
    if (!part.is_object()) bad(pat, "must be an object");
    if (!part.contains("type") || !part["type"].is_string()) bad(pat + ".type", "must be a string");
    const std::string type = part["type"].get<std::string>();
    if (type != "text") {
      const bool media = type == "image_url" || type == "input_audio" || type == "file" || type == "input_image";
      bad(pat + ".type", media ? "'" + type + "' parts are not supported: this model reads text only"
                               : "'" + type + "' is not a content part type this server knows (text)");
    }
    for (const auto& [key, value] : part.items()) {
      if (key != "type" && key != "text") bad(pat + "." + key, "is not a field of a text part");
    }
    if (!part.contains("text") || !part["text"].is_string()) bad(pat + ".text", "must be a string");
    if (j > 0) text += "\n";
    text += part["text"].get<std::string>();
  }
  return text;
}

// {"id": ..., "type": "function", "function": {"name": ..., "arguments": "<json text>"}}
void check_tool_calls(const ojson& calls, const std::string& at) {
  if (!calls.is_array()) bad(at, "must be an array");
  for (size_t k = 0; k < calls.size(); ++k) {
    const ojson& c = calls[k];
    const std::string cat = at + "[" + std::to_string(k) + "]";
    if (!c.is_object()) bad(cat, "must be an object");
    if (!c.contains("id") || !c["id"].is_string()) bad(cat + ".id", "must be a string");
    if (!c.contains("type") || c["type"] != "function") bad(cat + ".type", "must be \"function\"");
    if (!c.contains("function") || !c["function"].is_object()) bad(cat + ".function", "must be an object");
    const ojson& f = c["function"];
    if (!f.contains("name") || !f["name"].is_string()) bad(cat + ".function.name", "must be a string");
    if (!f.contains("arguments") || !f["arguments"].is_string()) bad(cat + ".function.arguments", "must be a string");
  }
}

}  // namespace

ojson parse_chat_messages(const ojson& messages, bool template_knows_tools) {
  if (!messages.is_array() || messages.empty()) bad("messages", "must be a non-empty array");
  ojson out = ojson::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    const ojson& m = messages[i];
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) bad(at, "must be an object");
    if (!m.contains("role") || !m["role"].is_string()) bad(at + ".role", "must be a string");
    std::string role = m["role"].get<std::string>();
    if (role != "system" && role != "developer" && role != "user" && role != "assistant" && role != "tool") {
      bad(at + ".role", "is '" + role + "'; the roles are system, developer, user, assistant and tool");
    }
    // The fields a message of this role may have; anything else is named and refused.
    for (const auto& [key, value] : m.items()) {
      const bool ok = key == "role" || key == "content" || key == "name" ||
                      (role == "assistant" && (key == "tool_calls" || key == "refusal")) ||
                      (role == "tool" && key == "tool_call_id");
      if (!ok) bad(at + "." + key, "is not a field of a '" + role + "' message");
    }
    if (given(m, "refusal")) bad(at + ".refusal", "is not supported: send the refusal text as content");
    if (role == "tool" && !template_knows_tools) {
      bad(at + ".role", "'tool' messages need a chat template that renders tool calls; this model's does not");
    }
    const bool has_calls = given(m, "tool_calls") && !m["tool_calls"].empty();
    if (has_calls && !template_knows_tools) {
      bad(at + ".tool_calls", "needs a chat template that renders tool calls; this model's does not");
    }
    ojson msg = {{"role", role == "developer" ? std::string("system") : role}};
    if (given(m, "content")) {
      msg["content"] = content_text(m["content"], at + ".content");
    } else if (has_calls) {
      msg["content"] = nullptr;  // OpenAI's form of a message that only calls tools
    } else {
      bad(at + ".content", role == "assistant" ? "must be a string (or null with tool_calls)" : "must be a string");
    }
    if (given(m, "name")) {
      if (!m["name"].is_string()) bad(at + ".name", "must be a string");
      msg["name"] = m["name"];
    }
    if (has_calls) {
      check_tool_calls(m["tool_calls"], at + ".tool_calls");
      msg["tool_calls"] = m["tool_calls"];
    }
    if (role == "tool") {
      if (!m.contains("tool_call_id") || !m["tool_call_id"].is_string()) bad(at + ".tool_call_id", "must be a string");
      msg["tool_call_id"] = m["tool_call_id"];
    }
    out.push_back(std::move(msg));
  }
  return out;
}

}  // namespace tern::server
