// libFuzzer target: SentencePiece checkpoints. The first byte picks the reader, the rest is
// the document: a tokenizer.model (ModelProto) read, checked and turned into a GGUF token
// table (with one added token), or an added_tokens.json. Bad input must throw tern::Error;
// any other exception or crash escapes to libFuzzer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hf/sentencepiece_model.h"
#include "hf/spm_token_table.h"
#include "tern/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    if (data[0] % 2 == 0) {
      const tern::hf::SpmModel m = tern::hf::parse_sentencepiece_model(text, "tokenizer.model");
      tern::hf::TokenizerConfig tc;
      tc.added_tokens_decoder.push_back({static_cast<int64_t>(m.pieces.size()), "<|im_end|>", false});
      tern::hf::SentencePieceSources src;
      src.model = &m;
      src.model_file = "tokenizer.model";
      src.config = &tc;
      const auto n = static_cast<int64_t>(m.pieces.size()) + 1 + data[0] % 3;
      (void)tern::hf::build_sentencepiece_token_table(src, n, {});
    } else {
      (void)tern::hf::parse_added_tokens_json(text, "added_tokens.json");
    }
  } catch (const tern::Error&) {
  }
  return 0;
}
