// libFuzzer target: the Hugging Face JSON readers (config.json, generation_config.json,
// tokenizer_config.json, tokenizer.json and the GGUF token table built from it). The first
// byte picks the reader, the rest is the document. Bad input must throw tern::Error; any
// other exception escapes and libFuzzer reports it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hf/hf_config.h"
#include "hf/hf_tokenizer.h"
#include "tern/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 4) {
      case 0: {
        const auto c = tern::hf::parse_model_config(text, "config.json");
        (void)c.declared_layout();
        break;
      }
      case 1: (void)tern::hf::parse_generation_config(text, "generation_config.json"); break;
      case 2: (void)tern::hf::parse_tokenizer_config(text, "tokenizer_config.json"); break;
      case 3: {
        const auto tj = tern::hf::parse_tokenizer_json(text, "tokenizer.json");
        tern::hf::TokenizerConfig tc;
        tc.bos_token = "<s>";
        tc.pad_token = "a";
        (void)tern::hf::build_token_table(tj, tc, 300, std::nullopt, 2, "tokenizer.json");
        break;
      }
    }
  } catch (const tern::Error&) {
  }
  return 0;
}
