// tokenizer.json + tokenizer_config.json of a Hugging Face checkpoint: the byte-level BPE
// vocabulary, merges, added/special tokens, bos/eos/eot/pad, and the chat template kept
// verbatim, gathered into the token table a GGUF file stores.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::hf {

// llama.cpp's token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool special = false;
};

struct TokenizerJson {
  std::string model_type;                  // "BPE"
  std::vector<std::pair<std::string, int64_t>> vocab;  // model.vocab
  std::vector<std::string> merges;         // normalized to "a b"
  std::vector<AddedToken> added_tokens;
  bool byte_level = false;                 // a ByteLevel pre-tokenizer (GPT-2 alphabet)
  std::string split_regex;                 // the Split pre-tokenizer's regex, if any
  std::string pre_tokenizer_summary;       // e.g. "Sequence[Split, ByteLevel]"
  std::optional<std::string> post_processor_first_special;  // token the template prepends
};
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
  std::vector<std::string> merges;
  std::optional<uint32_t> bos, eos, eot, pad, unk;
  bool add_bos = false;
  std::optional<std::string> chat_template;
  std::string model = "gpt2";
  std::string pre = "llama-bpe";
};

// Builds the table for a model with `n_vocab` rows of embedding. Ids the tokenizer does not
// define become "[PAD<id>]" (type Unused), as llama.cpp's converter does. config_bos/eos
// come from config.json and win over tokenizer_config.json's strings.
TokenTable build_token_table(const TokenizerJson& tj, const TokenizerConfig& tc, int64_t n_vocab,
                             std::optional<int64_t> config_bos, std::optional<int64_t> config_eos,
                             const std::string& tokenizer_file);

// Reads <dir>/tokenizer.json (required) and <dir>/tokenizer_config.json (optional).
TokenTable load_token_table(const std::string& dir, int64_t n_vocab, std::optional<int64_t> config_bos,
                            std::optional<int64_t> config_eos);

}  // namespace tern::hf
