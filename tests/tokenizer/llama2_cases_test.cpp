// Every case of ../shared/tokenizers/llama2 (reference: sentencepiece 0.1.97): encode with
// and without the dummy prefix, decode, round trips, streaming; the vocab loaded from
// tokenizer.model (libsentencepiece) and from GGUF metadata (tokens + scores + types).
#include <gtest/gtest.h>

#include "tokenizer_test_util.h"

namespace tern::tok {
namespace {

using test::ids_of;

const std::vector<nlohmann::json>& cases() {
  static const auto c = test::read_jsonl(test::shared_path("tokenizers/llama2/cases.jsonl"));
  return c;
}

// The vocab as tokenizer.model gives it, or as the GGUF converter would store it.
Vocab llama2_vocab(bool via_gguf, bool dummy_prefix) {
  static const Vocab from_model = vocab_from_sentencepiece(test::shared_path("tokenizers/llama2/tokenizer.model"));
  Vocab v = from_model;
  v.add_space_prefix = dummy_prefix;
  if (!via_gguf) return v;
  std::vector<gguf::KeyValue> kvs = test::gguf_metadata_of(v, "");
  return vocab_from_gguf(kvs, "llama2.gguf");
}

class Llama2Cases : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!sentencepiece_available()) GTEST_SKIP() << "built without libsentencepiece";
  }
};

TEST_P(Llama2Cases, Vocab) {
  Tokenizer t(llama2_vocab(GetParam(), true));
  EXPECT_EQ(t.n_vocab(), 32000);
  EXPECT_EQ(t.kind(), ModelKind::kSentencePiece);
  EXPECT_EQ(t.bos(), 1);
  EXPECT_EQ(t.eos(), 2);
  EXPECT_EQ(t.vocab().unk, 0);
  EXPECT_TRUE(t.add_bos());
  EXPECT_TRUE(t.is_eog(2));
  EXPECT_EQ(t.token_to_piece(13), "\n");
  EXPECT_EQ(t.token_text(15043), "\xE2\x96\x81Hello");
}

TEST_P(Llama2Cases, AllEncodeCases) {
  Tokenizer with_prefix(llama2_vocab(GetParam(), true));
  Tokenizer without_prefix(llama2_vocab(GetParam(), false));
  size_t n = 0, failed = 0;
  for (const auto& c : cases()) {
    if (c["kind"] != "encode") continue;
    ++n;
    const Tokenizer& t = c["add_dummy_prefix"].get<bool>() ? with_prefix : without_prefix;
    const std::string text = c["text"];
    std::vector<int32_t> got = t.encode(text);
    if (got != ids_of(c["ids"])) {
      ++failed;
      ADD_FAILURE() << "[" << c["category"] << "] " << c["text"].dump() << " dummy=" << c["add_dummy_prefix"]
                    << "\n  want " << c["ids"].dump() << "\n  got  " << nlohmann::json(got).dump();
      continue;
    }
    // Pieces as the vocab stores them.
    std::vector<std::string> pieces;
    for (int32_t id : got) pieces.push_back(t.token_text(id));
    EXPECT_EQ(nlohmann::json(pieces), c["pieces"]) << c["text"].dump();
    // decode = sentencepiece DecodeIds (control tokens invisible).
    EXPECT_EQ(t.decode(got, Special::kSkip), c["decoded"].get<std::string>()) << c["text"].dump();
    if (c["roundtrip"].get<bool>()) {
      EXPECT_EQ(t.decode(got, Special::kSkip), text);
    }
    // BOS in front changes nothing else.
    std::vector<int32_t> with_bos = t.encode(text, true);
    ASSERT_FALSE(with_bos.empty());
    EXPECT_EQ(with_bos[0], 1);
    EXPECT_EQ(std::vector<int32_t>(with_bos.begin() + 1, with_bos.end()), got);
  }
  EXPECT_EQ(n, 408u);
  EXPECT_EQ(failed, 0u);
}

TEST_P(Llama2Cases, AllDecodeCasesAndStreaming) {
  Tokenizer t(llama2_vocab(GetParam(), true));
  size_t n = 0;
  for (const auto& c : cases()) {
    if (c["kind"] != "decode") continue;
    ++n;
    std::vector<int32_t> ids = ids_of(c["ids"]);
    const std::string want = c["text"];
    EXPECT_EQ(t.decode(ids, Special::kSkip), want) << c.dump();
    StreamDecoder stream(t, Special::kSkip);
    std::string streamed;
    for (int32_t id : ids) streamed += stream.push(id);
    streamed += stream.flush();
    EXPECT_EQ(streamed, want) << c.dump();
  }
  EXPECT_EQ(n, 109u);
}

TEST_P(Llama2Cases, SpecialLookingTextIsPlainUnlessParseSpecial) {
  Tokenizer t(llama2_vocab(GetParam(), true));
  std::vector<int32_t> plain = t.encode("<s>Hi</s>");
  for (int32_t id : plain) EXPECT_GT(id, 2);
  EXPECT_EQ(t.decode(plain), "<s>Hi</s>");
  // With parse_special: control ids, and no dummy prefix after a special token.
  std::vector<int32_t> special = t.encode("<s>Hi</s>", false, true);
  ASSERT_GE(special.size(), 3u);
  EXPECT_EQ(special.front(), 1);
  EXPECT_EQ(special.back(), 2);
  EXPECT_EQ(std::vector<int32_t>(special.begin() + 1, special.end() - 1), Tokenizer(llama2_vocab(GetParam(), false)).encode("Hi"));
  EXPECT_EQ(t.decode(special, Special::kSkip), "Hi");
  EXPECT_EQ(t.decode(special, Special::kRender), "<s>Hi</s>");
}

INSTANTIATE_TEST_SUITE_P(FromModelAndGguf, Llama2Cases, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "gguf" : "tokenizer_model"; });

}  // namespace
}  // namespace tern::tok
