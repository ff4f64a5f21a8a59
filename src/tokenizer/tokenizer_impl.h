// The lookup tables a Tokenizer builds from its Vocab, shared by the encoders and decoders.
// Built once, immutable afterwards (so one Tokenizer serves many threads).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/tokenizer.h"
#include "tokenizer/flat_map.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/special_matcher.h"

namespace tern::tok {

struct Tokenizer::Impl {
  Vocab vocab;
  int32_t n_vocab = 0;
  // The bytes each token decodes to on its own: byte-level tokens through the byte
  // alphabet, SentencePiece "▁" -> " " and <0xNN> -> the byte, specials their text.
  std::vector<std::string> piece;
  // vocab.tokens -> id (the lowest id when a text repeats). Keys view vocab.tokens.
  StringIdMap token_to_id;
  SpecialMatcher specials;  // control + user-defined (+ unknown) token texts
  std::vector<uint8_t> eog;  // per id: ends generation
  std::array<int32_t, 256> byte_token{};  // the token of each single byte (-1 if none)

  // Byte-level BPE.
  std::unique_ptr<PreTokenizer> pretokenizer;
  StringIdMap bytes_to_id;  // normal tokens by their bytes; keys view `piece`
  using Merge = PairMergeMap::Merge;
  PairMergeMap merges;  // (left id << 32 | right id) -> rank and merged token

  // SentencePiece: pieces that merges may produce (normal and user-defined), with scores.
  StringIdMap spm_mergeable;

  TokenType type(int32_t id) const {
    return vocab.types.empty() ? TokenType::kNormal : vocab.types[static_cast<size_t>(id)];
  }
  void check_id(int32_t id) const;  // throws tern::Error for an id outside [0, n_vocab)
};

// Builders (one per model kind) fill the kind-specific tables.
void build_byte_level_tables(Tokenizer::Impl& impl);
void build_sentencepiece_tables(Tokenizer::Impl& impl);

// Encoders of one stretch of text with no special tokens in it; append to `out`.
void encode_byte_level(const Tokenizer::Impl& impl, std::string_view text, std::vector<int32_t>& out);
void encode_sentencepiece(const Tokenizer::Impl& impl, std::string_view text, bool dummy_prefix,
                          std::vector<int32_t>& out);

// Byte-level BPE of one pre-token without the whole-word vocab shortcut, forcing the short
// (rescan) or long (heap) merge path; for tests that the two agree.
std::vector<int32_t> bpe_merge_word(const Tokenizer::Impl& impl, std::string_view word, bool long_path);

// Appends the bytes of token `id` as decode renders it in sequence. `at_start` tracks
// sentencepiece's "drop the first piece's leading space" rule across calls.
void append_token_bytes(const Tokenizer::Impl& impl, int32_t id, Special special, bool& at_start, std::string& out);

}  // namespace tern::tok
