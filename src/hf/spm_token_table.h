// The GGUF token table of a SentencePiece checkpoint (Llama 2, 1bitLLM bitnet_b1_58-*), as
// llama.cpp's convert_hf_to_gguf.py writes it (_create_vocab_sentencepiece + SpecialVocab):
// tokenizer.model's pieces with their scores and types (normal, unknown, control, byte
// <0xNN>, unused), then added_tokens.json's ids as user-defined (score -1000), then
// tokenizer_config.json's added_tokens_decoder (special or control-looking -> control,
// otherwise user-defined with "▁" written as a space), ids the tokenizer leaves empty as
// "[PAD<id>]" (unused, score -10000); tokenizer.ggml.model "llama", pre "default".
// Unlike llama.cpp, an id outside vocab_size or one id given two different texts is an
// error, not a warning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hf/hf_tokenizer.h"
#include "hf/sentencepiece_model.h"

namespace tern::hf {

// added_tokens.json: {"<text>": id, ...}.
std::vector<AddedToken> parse_added_tokens_json(std::string_view text, const std::string& file);

struct SentencePieceSources {
  const SpmModel* model = nullptr;
  std::string model_file;
  std::vector<AddedToken> added_tokens;  // from added_tokens.json (may be empty)
  std::string added_tokens_file;
  const TokenizerConfig* config = nullptr;  // tokenizer_config.json (defaults if absent)
  // tokenizer.json if the checkpoint has one: it must be the SentencePiece-style
  // equivalent of tokenizer.model (same pieces, prefix rule and byte fallback), since
  // transformers encodes with it.
  const TokenizerJson* tokenizer_json = nullptr;
  std::string tokenizer_json_file;
};

TokenTable build_sentencepiece_token_table(const SentencePieceSources& src, int64_t n_vocab,
                                           const ConfigTokenIds& config_ids);

// llama.cpp's does_token_look_special: added tokens that are control tokens in practice
// even when not flagged special ("<pad>", "<|...|>", "<unused...>", ...).
bool token_looks_special(std::string_view text);

}  // namespace tern::hf
