// OpenAI chat `messages` -> the message list the chat template renders. Checks every
// message field and names the one at fault (messages[i].content[j].type, ...):
//   - roles: system, developer (rendered as system: templates know no other name for it),
//     user, assistant, tool; anything else is refused;
//   - content: a string, or an array of parts whose text parts are joined with "\n" (as
//     vLLM and llama.cpp's server join them); image, audio and file parts are refused;
//   - assistant tool_calls (content may then be null) and tool messages (tool_call_id) are
//     passed to the template when it renders tool calls, refused otherwise;
//   - name is passed to the template as given.
#pragma once
#include <nlohmann/json.hpp>

namespace tern::server {

// Throws HttpError (400).
nlohmann::ordered_json parse_chat_messages(const nlohmann::ordered_json& messages, bool template_knows_tools);

}  // namespace tern::server
