// A SentencePiece tokenizer.model (a serialized ModelProto), read with a small protobuf
// reader rather than libsentencepiece: that library is optional in tern's build (the
// aarch64 cross build goes without it) and its API hides the normalizer and trainer fields
// the converter must check before it can promise the same segmentation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern::hf {

struct SpmPiece {
  std::string piece;
  float score = 0.0f;
  int32_t type = 1;  // ModelProto.SentencePiece.Type: 1 NORMAL ... 6 BYTE (llama.cpp's numbering)
};

struct SpmModel {
  std::vector<SpmPiece> pieces;
  // trainer_spec
  int32_t model_type = 1;  // 1 UNIGRAM (the proto default), 2 BPE, 3 WORD, 4 CHAR
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  int32_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  // normalizer_spec
  std::string normalizer_name;
  size_t precompiled_charsmap_bytes = 0;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
  // denormalizer_spec
  size_t denormalizer_charsmap_bytes = 0;
};

// Parses the ModelProto; throws tern::Error "<file>: <message path>: ..." on malformed
// input, a piece type outside 1..6, an empty or repeated piece.
SpmModel parse_sentencepiece_model(std::string_view bytes, const std::string& file);

// Refuses, naming the field, every option tern's SentencePiece runtime does not reproduce
// (src/tokenizer/bpe_sentencepiece.cpp: BPE, identity normalization, spaces kept).
void check_sentencepiece_supported(const SpmModel& m, const std::string& file);

}  // namespace tern::hf
