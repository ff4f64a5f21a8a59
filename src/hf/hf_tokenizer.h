// tokenizer.json + tokenizer_config.json (and, for SentencePiece models, tokenizer.model +
// added_tokens.json) of a Hugging Face checkpoint: the vocabulary, merges or scores,
// added/special tokens, bos/eos/eot/pad, and the chat template kept verbatim, gathered into
// the token table a GGUF file stores, as llama.cpp's convert_hf_to_gguf.py would write it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/hf_tokenizer_json.h"

namespace tern::hf {

// llama.cpp's token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

// tokenizer.json and tokenizer_config.json are read by the tokenizer's reader
// (tokenizer/hf_tokenizer_json.h), the one the runtime tokenizer uses too.
using tok::AddedToken;
using tok::ConfigTokenIds;
using tok::parse_tokenizer_config;
using tok::parse_tokenizer_json;
using tok::TokenizerConfig;
using tok::TokenizerJson;
using tok::TokenizerJsonKind;
using tok::TokenizerJsonShape;

// The GGUF view: one entry per id in [0, n_vocab).
struct TokenTable {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<std::string> merges;        // byte-level BPE ("gpt2")
  std::vector<float> scores;              // SentencePiece ("llama"): merge priority per token
  std::optional<uint32_t> bos, eos, eot, pad, unk;
  bool add_bos = false;
  std::optional<bool> add_eos;            // written only when the tokenizer says
  std::optional<bool> add_space_prefix;   // SentencePiece dummy prefix (normalizer_spec.add_dummy_prefix)
  std::optional<std::string> chat_template;
  std::string model = "gpt2";             // tokenizer.ggml.model: "gpt2" or "llama"
  std::string pre = "llama-bpe";          // tokenizer.ggml.pre
};

// Builds the table for a model with `n_vocab` rows of embedding. Ids the tokenizer does not
// define become "[PAD<id>]" (type Unused), as llama.cpp's converter does. The special tokens
// follow tok::resolve_special_tokens (config.json's bos/eos win over tokenizer_config.json's).
TokenTable build_token_table(const TokenizerJson& tj, const TokenizerConfig& tc, int64_t n_vocab,
                             const ConfigTokenIds& config_ids, const std::string& tokenizer_file);
TokenTable build_token_table(const TokenizerJson& tj, const TokenizerConfig& tc, int64_t n_vocab,
                             std::optional<int64_t> config_bos, std::optional<int64_t> config_eos,
                             const std::string& tokenizer_file);

// Reads the tokenizer files of checkpoint folder `dir`:
//   * tokenizer.json byte-level BPE (+ tokenizer_config.json): a "gpt2" table;
//   * tokenizer.model (SentencePiece BPE, + added_tokens.json, tokenizer_config.json, and
//     tokenizer.json when present, which must be the SentencePiece-style equivalent and is
//     checked against it): a "llama" table with scores.
// A SentencePiece-style tokenizer.json without tokenizer.model is refused (its merges do
// not carry SentencePiece's scores).
TokenTable load_token_table(const std::string& dir, int64_t n_vocab, const ConfigTokenIds& config_ids);
TokenTable load_token_table(const std::string& dir, int64_t n_vocab, std::optional<int64_t> config_bos,
                            std::optional<int64_t> config_eos);

}  // namespace tern::hf
