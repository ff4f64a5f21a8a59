// What a tokenizer.json computes, decided from its components (model, normalizer,
// pre_tokenizer, decoder, post_processor) and checked against what tern's runtime
// reproduces exactly. Two shapes are accepted:
//   * byte-level BPE (GPT-2 / Llama 3 / Falcon3 style): no normalizer, a ByteLevel
//     pre-tokenizer alone (GPT-2 regex) or after a Split on the Llama 3 regex, a ByteLevel
//     decoder; mapped to llama.cpp's tokenizer.ggml.pre name;
//   * SentencePiece-style BPE (Llama 2 converted by transformers): byte fallback, "▁" for
//     spaces by a Prepend/Replace normalizer or a Metaspace pre-tokenizer.
// The Llama 3 Split regex must be exactly kLlama3Pattern (tern/tokenizer.h), the string
// tokenizer.json stores.
// Anything else (another model type, normalizer, pre-tokenizer, decoder, post-processor or
// option) throws tern::Error naming the file and the JSON path of the component, so a
// tokenizer tern would split differently is never converted silently.
#pragma once

#include <optional>
#include <string>

#include "runtime/json_at.h"

namespace tern::tok {

enum class TokenizerJsonKind { ByteLevelBpe, SentencePieceBpe };

struct TokenizerJsonShape {
  TokenizerJsonKind kind = TokenizerJsonKind::ByteLevelBpe;
  std::string pre;                  // byte-level: "llama-bpe", "smaug-bpe" or "gpt-2" (llama.cpp's names)
  bool add_space_prefix = false;    // sentencepiece: a "▁" goes before the text
  bool byte_fallback = false;       // model.byte_fallback
  bool has_template = false;        // a TemplateProcessing post-processor
  std::optional<std::string> template_bos;  // its special token before $A
  std::optional<std::string> template_eos;  // its special token after $A
  std::string pre_tokenizer_summary;        // e.g. "Sequence[Split, ByteLevel]", for messages
};

// `root` is the whole tokenizer.json document.
TokenizerJsonShape classify_tokenizer_json(const JsonAt& root);

}  // namespace tern::tok
