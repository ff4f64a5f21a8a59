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

#include "hf/tokenizer_json_shape.h"

namespace tern::hf {

// llama.cpp's token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool special = false;
};
// tokenizer.json's added tokens must match their literal text: lstrip / rstrip /
// single_word change what they match and are refused by parse_tokenizer_json.

struct TokenizerJson {
  std::string model_type;                  // "BPE"
  std::vector<std::pair<std::string, int64_t>> vocab;  // model.vocab
  std::vector<std::string> merges;         // normalized to "a b"
  std::vector<AddedToken> added_tokens;
  TokenizerJsonShape shape;                // what the components compute (tokenizer_json_shape.h)
  bool byte_level = false;                 // shape.kind == ByteLevelBpe (GPT-2 alphabet)
  std::string split_regex;                 // the Split pre-tokenizer's regex, if any
  std::string pre_tokenizer_summary;       // e.g. "Sequence[Split, ByteLevel]"
  std::optional<std::string> post_processor_first_special;  // token the template prepends
};
// Throws tern::Error naming `file` and the JSON path for malformed input and for every
// component tern's tokenizer does not reproduce (classify_tokenizer_json).
TokenizerJson parse_tokenizer_json(std::string_view text, const std::string& file);

struct TokenizerConfig {
  std::optional<std::string> bos_token, eos_token, pad_token, unk_token;
  std::optional<bool> add_bos_token, add_eos_token;
  std::optional<std::string> chat_template;  // verbatim
  std::vector<AddedToken> added_tokens_decoder;
};
TokenizerConfig parse_tokenizer_config(std::string_view text, const std::string& file);

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
// define become "[PAD<id>]" (type Unused), as llama.cpp's converter does. config_bos/eos
// come from config.json and win over tokenizer_config.json's strings.
TokenTable build_token_table(const TokenizerJson& tj, const TokenizerConfig& tc, int64_t n_vocab,
                             std::optional<int64_t> config_bos, std::optional<int64_t> config_eos,
                             const std::string& tokenizer_file);

// Special token ids config.json gives (they win over tokenizer_config.json's strings).
struct ConfigTokenIds {
  std::optional<int64_t> bos, eos, pad;
};

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
