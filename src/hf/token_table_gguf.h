// Writes a TokenTable as GGUF tokenizer metadata (llama.cpp's tokenizer.ggml.* keys and
// tokenizer.chat_template), the one place the converter lays these keys out.
#pragma once

#include "gguf/gguf_writer.h"
#include "hf/hf_tokenizer.h"

namespace tern::hf {

// tokenizer.ggml.model, pre, tokens, token_type; merges ("gpt2") or scores ("llama");
// bos/eos/eot/pad/unk ids when known; add_bos_token always; add_eos_token and
// add_space_prefix when the tokenizer says; the chat template when there is one.
void write_token_table(gguf::Writer& w, const TokenTable& t);

}  // namespace tern::hf
