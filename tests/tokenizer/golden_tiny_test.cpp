// ../shared/golden/tokenizer_golden.json: the tiny vocab-1000 byte-level BPE of the golden
// models, encoded by HF tokenizers.js (BOS added, special tokens parsed).
#include <gtest/gtest.h>

#include "tokenizer_test_util.h"

namespace tern::tok {
namespace {

TEST(TinyGoldenTokenizer, EncodesLikeTokenizersJs) {
  for (bool via_gguf : {false, true}) {
    Vocab v = vocab_from_hf_json(test::shared_path("golden/tiny-a/tokenizer.json"),
                                 test::shared_path("golden/tiny-a/tokenizer_config.json"));
    EXPECT_EQ(v.bos, 984);
    EXPECT_EQ(v.eos, 993);  // tokenizer_config.json's eos_token is <|eot_id|>
    std::vector<gguf::KeyValue> kvs;
    if (via_gguf) {
      kvs = test::gguf_metadata_of(v, "llama-bpe");
      v = vocab_from_gguf(kvs, "tiny.gguf");
    }
    Tokenizer t(v);
    EXPECT_EQ(t.n_vocab(), 1000);
    EXPECT_TRUE(t.is_eog(985));
    EXPECT_TRUE(t.is_eog(993));
    std::ifstream in(test::shared_path("golden/tokenizer_golden.json"));
    nlohmann::json golden = nlohmann::json::parse(in);
    size_t n = 0;
    for (const auto& c : golden["encode"]) {
      ++n;
      std::vector<int32_t> got = t.encode(c["text"].get<std::string>(), true, true);
      EXPECT_EQ(got, test::ids_of(c["ids"])) << c["text"].dump() << (via_gguf ? " (gguf)" : " (json)");
      EXPECT_EQ(t.decode(got), "<|begin_of_text|>" + c["text"].get<std::string>());
    }
    EXPECT_EQ(n, 10u);
    // The rendered chat prompt (specials in the text).
    const auto& chat = golden["chat"];
    EXPECT_EQ(t.encode(chat["rendered"].get<std::string>(), true, true), test::ids_of(chat["ids"]));
  }
}

}  // namespace
}  // namespace tern::tok
