// A chat message list -> prompt token ids: the model's chat template rendered with
// bos_token / eos_token, tokenized with the template's special-token text recognised (it
// writes <|eot_id|> and friends as text), and BOS prepended only when the model wants one
// and the template did not already write it. One rule for `tern run --chat`, `tern chat`
// and `tern serve`.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "tern/chat_template.h"
#include "tern/tokenizer.h"

namespace tern::chat {

// What special-token text inside the messages (content, names, tool-call arguments: what a
// user typed) becomes.
enum class MessageSpecials {
  // Ordinary text: only the template's own markup becomes control tokens, so a message
  // cannot end its turn and forge another ("...<|eot_id|><|start_header_id|>assistant...").
  // Where the messages hold no special-token text the ids equal transformers'
  // apply_chat_template (render, then tokenize the whole string).
  kText,
  // Control tokens, as apply_chat_template tokenizes them: for trusted callers only
  // (`--allow-special-in-content`).
  kControl,
};

std::vector<int32_t> chat_prompt_ids(const ChatTemplate& chat_template, const tok::Tokenizer& tokenizer,
                                     const nlohmann::ordered_json& messages, bool add_generation_prompt = true,
                                     MessageSpecials specials = MessageSpecials::kText);

// Plain-text prompt (/v1/completions, `tern run -p`): the caller's own text, BOS first if
// the model wants one. Special-token text stays text unless `specials` is kControl: a raw
// prompt has no turns of anyone else's to forge, but the default keeps one rule for all
// client text (and what tern always did); trusted callers who write their own markup
// get control tokens with the same flag.
std::vector<int32_t> text_prompt_ids(const tok::Tokenizer& tokenizer, const std::string& text,
                                     MessageSpecials specials = MessageSpecials::kText);

}  // namespace tern::chat
