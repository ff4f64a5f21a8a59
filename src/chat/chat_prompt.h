// A chat message list -> prompt token ids: the model's chat template rendered with
// bos_token / eos_token, tokenized with special tokens recognised (the template writes them
// as text), and BOS prepended only when the model wants one and the template did not
// already write it. One rule for `tern run --chat`, `tern chat` and `tern serve`.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "tern/chat_template.h"
#include "tern/tokenizer.h"

namespace tern::chat {

std::vector<int32_t> chat_prompt_ids(const ChatTemplate& chat_template, const tok::Tokenizer& tokenizer,
                                     const nlohmann::ordered_json& messages, bool add_generation_prompt = true);

// Plain-text prompt (/v1/completions): the text as is, BOS first if the model wants one.
std::vector<int32_t> text_prompt_ids(const tok::Tokenizer& tokenizer, const std::string& text);

}  // namespace tern::chat
