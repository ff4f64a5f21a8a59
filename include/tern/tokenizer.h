// Text <-> token ids, exactly as the reference tokenizers do it:
//   * byte-level BPE (GGUF tokenizer.ggml.model "gpt2"; Llama 3, BitNet b1.58 2B4T): a
//     regex pre-tokenizer (PCRE2), GPT-2's byte->unicode alphabet, merges by rank;
//   * SentencePiece BPE (GGUF "llama"; Llama 2): merges by piece score, byte fallback,
//     the dummy-prefix and "▁" rules of sentencepiece.
// A Vocab is the plain data (what a GGUF file stores); a Tokenizer is built once from it
// (hash tables, compiled regex) and is then immutable and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tern/text_span.h"

namespace tern::gguf {
class File;
struct KeyValue;
}  // namespace tern::gguf

namespace tern::tok {

enum class ModelKind { kByteLevelBpe, kSentencePiece };

// Token types with llama.cpp's numbering (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,      // <s>, <|eot_id|>: text form matched only with parse_special
  kUserDefined = 4,  // added tokens that are not control tokens
  kUnused = 5,
  kByte = 6,         // SentencePiece byte fallback pieces <0xNN>
};

// The model's vocabulary as stored: GGUF metadata, tokenizer.json or tokenizer.model all
// load into this, and a Tokenizer is built from it.
struct Vocab {
  ModelKind kind = ModelKind::kByteLevelBpe;
  // Token strings as the format stores them: byte-level BPE tokens in GPT-2's unicode
  // alphabet ("Ġthe"), SentencePiece pieces with "▁" for spaces ("▁the", "<0x0A>").
  // Control / user-defined tokens hold their literal text ("<|eot_id|>").
  std::vector<std::string> tokens;
  std::vector<float> scores;     // SentencePiece merge priority (higher merges first); may be empty for BPE
  std::vector<TokenType> types;  // empty = all normal
  std::vector<std::string> merges;  // byte-level BPE: "left right", rank = index
  int32_t bos = -1, eos = -1, eot = -1, pad = -1, unk = -1;
  bool add_bos = false;           // whether the model expects BOS at the start of a prompt
  bool add_space_prefix = false;  // SentencePiece dummy prefix: "▁" before the text
  // Byte-level BPE: the pre-tokenizer regex (PCRE2 syntax; the Llama 3 pattern by default)
  // and whether a pre-token that is itself a token is emitted whole (Llama 3, tiktoken).
  std::string pretokenizer_regex;
  bool ignore_merges = true;
  std::string source;  // file name, for error messages
};

// The Llama 3 pre-tokenizer pattern and GPT-2's.
extern const char* const kLlama3Pattern;
extern const char* const kGpt2Pattern;

// Loaders. Each throws tern::Error naming the file and the field on bad input.
// GGUF metadata (tokenizer.ggml.*). Works on any key/value list so tests and fuzzers can
// build one in memory.
Vocab vocab_from_gguf(const std::vector<gguf::KeyValue>& metadata, const std::string& name);
Vocab vocab_from_gguf(const gguf::File& file);
// Hugging Face tokenizer.json (model.type BPE with a ByteLevel pre-tokenizer), optionally
// with tokenizer_config.json for bos_token / eos_token / add_bos_token.
Vocab vocab_from_hf_json(const std::string& tokenizer_json_path, const std::string& tokenizer_config_path = "");
Vocab vocab_from_hf_json_text(std::string_view json_text, std::string_view config_text, const std::string& name);
// SentencePiece tokenizer.model through libsentencepiece (throws a clear error when tern
// was built without it).
Vocab vocab_from_sentencepiece(const std::string& model_path);
bool sentencepiece_available();

// How decode renders control tokens (<|eot_id|>, <s>): their text, or nothing.
enum class Special { kRender, kSkip };

class Tokenizer {
 public:
  explicit Tokenizer(Vocab vocab);  // validates the vocab and builds the lookup tables
  static Tokenizer from_gguf(const gguf::File& file) { return Tokenizer(vocab_from_gguf(file)); }
  static Tokenizer from_hf_json(const std::string& path, const std::string& config_path = "") {
    return Tokenizer(vocab_from_hf_json(path, config_path));
  }
  static Tokenizer from_sentencepiece(const std::string& path) {
    return Tokenizer(vocab_from_sentencepiece(path));
  }

  // Text -> ids. `add_bos` prepends the model's BOS (if it has one). With `parse_special`
  // the exact text of control / user-defined tokens becomes their ids; without it such
  // text is ordinary text. Invalid UTF-8 never fails:
  //   byte-level BPE: maximal runs of invalid bytes are pre-tokens of their own and are
  //     encoded byte by byte through the byte alphabet (decode gives the bytes back);
  //   SentencePiece: each invalid byte becomes U+FFFD, as sentencepiece's normalizer does.
  // SentencePiece: the dummy prefix goes only before text at the very start of the input
  // (not after a special token), so "<s>Hi" with parse_special is [<s>, "Hi"].
  std::vector<int32_t> encode(std::string_view text, bool add_bos = false, bool parse_special = false) const;
  // encode(text, add_bos, parse_special = true), except that no special token is matched
  // that overlaps a byte of `literal` (sorted, disjoint ranges of `text`; throws tern::Error
  // otherwise): special-token text there stays ordinary text. Everything else is as in one
  // encode() of the whole text (pre-tokens and merges run across the ranges' edges), so
  // when no special token of encode(text, add_bos, true) overlaps `literal` the ids are
  // the same. A chat prompt passes the bytes that came from its messages (no forged turns).
  std::vector<int32_t> encode_marked(std::string_view text, std::span<const TextSpan> literal,
                                     bool add_bos = false) const;

  // Ids -> the exact bytes of the tokens, concatenated (no UTF-8 repair, specials rendered
  // per `special`). SentencePiece: "▁" -> " ", byte pieces -> their byte, the leading space
  // of the first piece dropped when add_space_prefix (as sentencepiece does), <unk> -> " ⁇ ".
  // Throws tern::Error for an id outside [0, n_vocab).
  std::string decode_bytes(std::span<const int32_t> ids, Special special = Special::kRender) const;
  // Ids -> valid UTF-8 text: decode_bytes with invalid bytes replaced by U+FFFD the way the
  // reference does it (byte-level BPE: one per maximal invalid subsequence, as Python's
  // bytes.decode("utf-8", "replace"); SentencePiece: one per invalid byte).
  std::string decode(std::span<const int32_t> ids, Special special = Special::kRender) const;

  // The bytes one token stands for on its own (specials rendered, no space stripping).
  std::string token_to_piece(int32_t id) const;
  // The token's string as the vocabulary stores it ("Ġthe", "▁the", "<0x0A>").
  const std::string& token_text(int32_t id) const;
  std::optional<int32_t> token_id(std::string_view token_text) const;  // inverse of token_text

  int32_t n_vocab() const;
  ModelKind kind() const;
  int32_t bos() const;  // -1 when the model has none
  int32_t eos() const;
  int32_t eot() const;
  bool add_bos() const;
  TokenType type(int32_t id) const;
  bool is_control(int32_t id) const;
  // End of generation: EOS, EOT, or another end marker the vocab names (<|end_of_text|>,
  // <|eot_id|>, <|eom_id|>, </s>, <|im_end|>, <end_of_turn>).
  bool is_eog(int32_t id) const;
  const Vocab& vocab() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// Incremental detokenizer for printing while generating: push() returns only complete,
// valid UTF-8 (a character split across tokens is held back until its last byte arrives;
// bytes proven invalid come out as U+FFFD). The concatenation of every push() and the
// final flush() equals Tokenizer::decode of all the ids.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, Special special = Special::kRender);
  std::string push(int32_t id);  // throws tern::Error for an out-of-range id
  std::string flush();           // ends the stream: held-back bytes become U+FFFD
  void reset();                  // starts a new stream (as after construction)

 private:
  const Tokenizer* tokenizer_;
  Special special_;
  bool at_start_ = true;  // SentencePiece: the next piece's leading space is dropped
  std::string held_;      // the bytes of an incomplete UTF-8 character (at most 3)
};

}  // namespace tern::tok
