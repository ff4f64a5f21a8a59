#include "chat/chat_prompt.h"

namespace tern::chat {

std::vector<int32_t> chat_prompt_ids(const ChatTemplate& chat_template, const tok::Tokenizer& tok,
                                     const nlohmann::ordered_json& messages, bool add_generation_prompt) {
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  if (tok.bos() >= 0) extra["bos_token"] = tok.token_text(tok.bos());
  if (tok.eos() >= 0) extra["eos_token"] = tok.token_text(tok.eos());
  const std::string text = chat_template.render(messages, add_generation_prompt, extra);
  std::vector<int32_t> ids = tok.encode(text, /*add_bos=*/false, /*parse_special=*/true);
  if (tok.add_bos() && tok.bos() >= 0 && (ids.empty() || ids.front() != tok.bos())) {
    ids.insert(ids.begin(), tok.bos());
  }
  return ids;
}

std::vector<int32_t> text_prompt_ids(const tok::Tokenizer& tok, const std::string& text) {
  return tok.encode(text, /*add_bos=*/tok.add_bos() && tok.bos() >= 0, /*parse_special=*/false);
}

}  // namespace tern::chat
