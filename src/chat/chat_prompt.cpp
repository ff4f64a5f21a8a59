#include "chat/chat_prompt.h"

namespace tern::chat {

std::vector<int32_t> chat_prompt_ids(const ChatTemplate& chat_template, const tok::Tokenizer& tok,
                                     const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                     MessageSpecials specials) {
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  if (tok.bos() >= 0) extra["bos_token"] = tok.token_text(tok.bos());
  if (tok.eos() >= 0) extra["eos_token"] = tok.token_text(tok.eos());
  const MarkedRender r = chat_template.render_marked(messages, add_generation_prompt, extra);
  std::vector<int32_t> ids = specials == MessageSpecials::kControl
                                 ? tok.encode(r.text, /*add_bos=*/false, /*parse_special=*/true)
                                 : tok.encode_marked(r.text, r.from_messages, /*add_bos=*/false);
  if (tok.add_bos() && tok.bos() >= 0 && (ids.empty() || ids.front() != tok.bos())) {
    ids.insert(ids.begin(), tok.bos());
  }
  return ids;
}

std::vector<int32_t> text_prompt_ids(const tok::Tokenizer& tok, const std::string& text, MessageSpecials specials) {
  return tok.encode(text, /*add_bos=*/tok.add_bos() && tok.bos() >= 0,
                    /*parse_special=*/specials == MessageSpecials::kControl);
}

}  // namespace tern::chat
