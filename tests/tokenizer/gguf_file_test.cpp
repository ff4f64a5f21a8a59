// The tokenizer from a real GGUF file (written by gguf::Writer, read by gguf::File): the
// hot load path of a 128256-token / 280k-merge vocab, timed, and a sample of the cases.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "tokenizer_test_util.h"

namespace tern::tok {
namespace {

TEST(TokenizerGgufFile, Llama3LoadsFastAndEncodesEveryCase) {
  Vocab v = vocab_from_hf_json(test::shared_path("tokenizers/llama3/tokenizer.json"));
  std::string path = test::write_tokenizer_gguf(v, "llama3.gguf", "llama-bpe");
  auto start = std::chrono::steady_clock::now();
  gguf::File file = gguf::File::open(path);
  Tokenizer t = Tokenizer::from_gguf(file);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("GGUF open + tokenizer build (128256 tokens, 280147 merges): %.3f s\n", secs);
  EXPECT_LT(secs, 30.0);  // ASan bound; release is ~0.2 s
  std::remove(path.c_str());
  EXPECT_EQ(t.n_vocab(), 128256);
  EXPECT_EQ(t.bos(), 128000);
  EXPECT_EQ(t.eot(), 128009);  // found by name: the file has no eot key
  size_t n = 0;
  for (const auto& c : test::read_jsonl(test::shared_path("tokenizers/llama3/cases.jsonl"))) {
    if (c["kind"] != "encode") continue;
    ++n;
    EXPECT_EQ(t.encode(c["text"].get<std::string>(), false, c["parse_special"].get<bool>()), test::ids_of(c["ids"]))
        << c["text"].dump();
  }
  EXPECT_EQ(n, 520u);
}

TEST(TokenizerGgufFile, Llama2FromGgufFile) {
  if (!sentencepiece_available()) GTEST_SKIP() << "built without libsentencepiece";
  Vocab v = vocab_from_sentencepiece(test::shared_path("tokenizers/llama2/tokenizer.model"));
  std::string path = test::write_tokenizer_gguf(v, "llama2.gguf", "");
  Tokenizer t = Tokenizer::from_gguf(gguf::File::open(path));
  std::remove(path.c_str());
  EXPECT_EQ(t.kind(), ModelKind::kSentencePiece);
  size_t n = 0;
  for (const auto& c : test::read_jsonl(test::shared_path("tokenizers/llama2/cases.jsonl"))) {
    if (c["kind"] != "encode" || !c["add_dummy_prefix"].get<bool>()) continue;
    ++n;
    EXPECT_EQ(t.encode(c["text"].get<std::string>()), test::ids_of(c["ids"])) << c["text"].dump();
  }
  EXPECT_EQ(n, 204u);
}

}  // namespace
}  // namespace tern::tok
