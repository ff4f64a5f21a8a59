// tokenizer.ggml.pre names: each name llama.cpp gives the Llama 3 regex maps to it, with
// ignore_merges as llama.cpp sets it (a pre-token that is itself a token is emitted whole,
// or merges always apply); unknown names are refused naming the key.
#include <gtest/gtest.h>

#include "tern/error.h"
#include "tokenizer_test_util.h"

namespace tern::tok {
namespace {

// GPT-2's byte -> unicode alphabet as UTF-8, plus "ab" (256) and "abc" (257) with only the
// merge "a b": "abc" is a token the merges cannot build.
Vocab whole_word_vocab() {
  Vocab v;
  v.kind = ModelKind::kByteLevelBpe;
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const bool kept = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    const uint32_t cp = kept ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + n++);
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    v.tokens.push_back(s);
  }
  v.tokens.push_back("ab");
  v.tokens.push_back("abc");
  v.merges = {"a b"};
  return v;
}

std::vector<int32_t> encode_with_pre(const std::string& pre, const std::string& text) {
  const Vocab v = whole_word_vocab();
  return Tokenizer(vocab_from_gguf(test::gguf_metadata_of(v, pre), "t.gguf")).encode(text);
}

TEST(PreTokenizerNames, Llama3RegexWithWholeWordLookup) {
  for (const char* pre : {"llama-bpe", "llama3", "llama-v3", "falcon3", "falcon_e", "falcon-h1"}) {
    SCOPED_TRACE(pre);
    EXPECT_EQ(encode_with_pre(pre, "abc"), (std::vector<int32_t>{257}));
    const Vocab v = whole_word_vocab();
    const Vocab g = vocab_from_gguf(test::gguf_metadata_of(v, pre), "t.gguf");
    EXPECT_EQ(g.pretokenizer_regex, kLlama3Pattern);
    EXPECT_TRUE(g.ignore_merges);
  }
}

TEST(PreTokenizerNames, Llama3RegexWithMergesOnly) {
  for (const char* pre : {"smaug-bpe", "dbrx"}) {
    SCOPED_TRACE(pre);
    EXPECT_EQ(encode_with_pre(pre, "abc"), (std::vector<int32_t>{256, 'c'}));  // byte tokens sit at their byte value
    const Vocab v = whole_word_vocab();
    const Vocab g = vocab_from_gguf(test::gguf_metadata_of(v, pre), "t.gguf");
    EXPECT_EQ(g.pretokenizer_regex, kLlama3Pattern);
    EXPECT_FALSE(g.ignore_merges);
  }
}

TEST(PreTokenizerNames, UnknownNameRefused) {
  const Vocab v = whole_word_vocab();
  try {
    (void)vocab_from_gguf(test::gguf_metadata_of(v, "falcon"), "t.gguf");
    ADD_FAILURE() << "falcon (the Falcon-7B pre-tokenizer) was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("t.gguf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("tokenizer.ggml.pre"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'falcon'"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace tern::tok
