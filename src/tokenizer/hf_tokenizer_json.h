// The one reader of a Hugging Face tokenizer.json and tokenizer_config.json, and the one
// rule that picks the special tokens. Both consumers go through it: the runtime tokenizer
// (vocab_from_hf_json, vocab_hf_json.cpp) and the converter, which writes the GGUF
// tokenizer keys from it (src/hf/hf_tokenizer.cpp). Parsing is strict: every field of the
// wrong type and every component tern's tokenizer does not reproduce (tokenizer_json_shape.h)
// throws tern::Error naming the file and the JSON path.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer_json_shape.h"

namespace tern::tok {

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool special = false;  // absent = false, as tokenizers' AddedToken
};
// tokenizer.json's added tokens must match their literal text: lstrip / rstrip /
// single_word change what they match and are refused by parse_tokenizer_json.

struct TokenizerJson {
  std::string model_type;                  // "BPE"
  std::vector<std::pair<std::string, int64_t>> vocab;  // model.vocab
  std::vector<std::string> merges;         // normalized to "a b"
  std::vector<AddedToken> added_tokens;
  std::optional<std::string> unk_token;    // model.unk_token
  TokenizerJsonShape shape;                // what the components compute (tokenizer_json_shape.h)
  bool byte_level = false;                 // shape.kind == ByteLevelBpe (GPT-2 alphabet)
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

// Special token ids config.json gives (bos/eos win over tokenizer_config.json's strings).
struct ConfigTokenIds {
  std::optional<int64_t> bos, eos, pad;
};

struct SpecialTokens {
  std::optional<uint32_t> bos, eos, eot, pad, unk;
  bool add_bos = false;
  std::optional<bool> add_eos;  // set only when the tokenizer says
};

// The one rule for special tokens, whoever loads the tokenizer:
//   bos, eos: config.json's bos_token_id / eos_token_id when the caller has a model config
//     (the ids transformers' generate() starts from and stops at; a GGUF's bos/eos serve
//     generation), else tokenizer_config.json's bos_token / eos_token (the tokenizer's own
//     attributes, what AutoTokenizer reports), else what tokenizer.json says by itself: the
//     special token its TemplateProcessing puts before $A (what encoding prepends) for bos,
//     the first end-of-text token by name (<|end_of_text|>, <|endoftext|>, </s>) for eos;
//   eot: the first of <|eot_id|>, <|im_end|>, <end_of_turn> in the vocabulary;
//   pad: tokenizer_config.json's pad_token, else config.json's pad_token_id;
//   unk: tokenizer_config.json's unk_token, else tokenizer.json's model.unk_token;
//   add_bos: tokenizer_config.json's add_bos_token, else whether the template prepends bos;
//   add_eos: tokenizer_config.json's add_eos_token, else true if the template appends one.
// `id_of` maps a token's text to its id among the n_vocab = tokens.size() rows (nullopt for
// none). A string tokenizer_config.json names must exist; config.json's ids must be below
// n_vocab. Errors name the file and the field.
using TokenLookup = std::function<std::optional<uint32_t>(const std::string&)>;
SpecialTokens resolve_special_tokens(const TokenizerJson& tj, const TokenizerConfig& tc, const ConfigTokenIds& config,
                                     const std::vector<std::string>& tokens, const TokenLookup& id_of,
                                     const std::string& tokenizer_file);

// The runtime Vocab of a byte-level tokenizer.json (vocab_from_hf_json reads the files and
// passes no config.json ids, as AutoTokenizer; the converter's table gives the same
// specials for the same inputs). `name` is the file named in errors.
struct Vocab;
Vocab vocab_from_tokenizer_json(const TokenizerJson& tj, const TokenizerConfig& tc, const ConfigTokenIds& config_ids,
                                const std::string& name);

}  // namespace tern::tok
