// Edge cases with documented behaviour: empty input, invalid UTF-8, special-looking text,
// out-of-range ids, bad vocabularies, and the UTF-8 repair rules of the two decoders.
#include <gtest/gtest.h>

#include "tern/error.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer_test_util.h"

namespace tern::tok {
namespace {

const Tokenizer& tiny() {
  static const Tokenizer t = Tokenizer::from_hf_json(test::shared_path("golden/tiny-a/tokenizer.json"));
  return t;
}

TEST(TokenizerEdge, EmptyInput) {
  EXPECT_TRUE(tiny().encode("").empty());
  EXPECT_TRUE(tiny().encode("", false, true).empty());
  EXPECT_EQ(tiny().encode("", true), std::vector<int32_t>{984});
  EXPECT_EQ(tiny().decode(std::vector<int32_t>{}), "");
}

TEST(TokenizerEdge, InvalidUtf8IsEncodedAsRawBytes) {
  // Documented: runs of invalid bytes are pre-tokens of their own, encoded through the byte
  // alphabet, so decode_bytes returns the input exactly and decode repairs it.
  const std::string inputs[] = {std::string("\xFF"), std::string("abc\xC3(def"), std::string("\xE2\x82 x\xF0\x9F"),
                                std::string("a\x80\x80\x80 b"), std::string("\xED\xA0\x80"),  // a surrogate
                                std::string("ok\0mid", 6)};
  for (const std::string& s : inputs) {
    std::vector<int32_t> ids = tiny().encode(s);
    EXPECT_EQ(tiny().decode_bytes(ids), s);
    EXPECT_EQ(tiny().decode(ids), repair_utf8(s, Utf8Repair::kMaximalSubpart));
    EXPECT_EQ(tiny().encode(s, false, true), ids);
  }
  // The valid parts around an invalid byte tokenize as they would alone.
  EXPECT_EQ(tiny().encode("hello\xFF"), [] {
    auto v = tiny().encode("hello");
    v.push_back(*tiny().token_id("\xC3\xBF"));  // byte 0xFF is "ÿ" in the byte alphabet
    return v;
  }());
}

TEST(TokenizerEdge, SpecialLookingText) {
  const std::string text = "<|eot_id|> and <|begin_of_text|><|eot_id|";
  std::vector<int32_t> special = tiny().encode(text, false, true);
  EXPECT_EQ(special.front(), 993);
  EXPECT_EQ(std::count(special.begin(), special.end(), 984), 1);
  EXPECT_EQ(std::count(special.begin(), special.end(), 993), 1);  // the unterminated one stays text
  std::vector<int32_t> plain = tiny().encode(text, false, false);
  for (int32_t id : plain) EXPECT_LT(id, 984);
  EXPECT_EQ(tiny().decode(plain), text);
  EXPECT_EQ(tiny().decode(special), text);
}

TEST(TokenizerEdge, OutOfRangeIdsThrow) {
  EXPECT_THROW(tiny().decode(std::vector<int32_t>{5, 1000}), Error);
  EXPECT_THROW(tiny().decode(std::vector<int32_t>{-1}), Error);
  EXPECT_THROW(tiny().token_to_piece(1000), Error);
  StreamDecoder s(tiny());
  EXPECT_THROW(s.push(123456), Error);
  try {
    tiny().decode(std::vector<int32_t>{1000});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token id 1000"), std::string::npos) << e.what();
  }
}

TEST(TokenizerEdge, StreamDecoderHoldsSplitCharacters) {
  // 🙂 = F0 9F 99 82 split over byte tokens: nothing comes out until the last byte.
  const Tokenizer& t = tiny();
  StreamDecoder s(t);
  std::vector<int32_t> ids;
  for (char c : std::string("\xF0\x9F\x99\x82")) ids.push_back(t.encode(std::string(1, c))[0]);
  EXPECT_EQ(s.push(ids[0]), "");
  EXPECT_EQ(s.push(ids[1]), "");
  EXPECT_EQ(s.push(ids[2]), "");
  EXPECT_EQ(s.push(ids[3]), "\xF0\x9F\x99\x82");
  // An incomplete character at the end becomes one U+FFFD on flush.
  EXPECT_EQ(s.push(ids[0]), "");
  EXPECT_EQ(s.push(ids[1]), "");
  EXPECT_EQ(s.flush(), "\xEF\xBF\xBD");
  // Proven invalid as soon as a byte cannot continue the character.
  EXPECT_EQ(s.push(ids[0]), "");
  EXPECT_EQ(s.push(t.encode("a")[0]), "\xEF\xBF\xBD" "a");
}

TEST(Utf8Repair, MaximalSubpartVersusPerByte) {
  EXPECT_EQ(repair_utf8("\xF0\x9F\x98", Utf8Repair::kMaximalSubpart), "\xEF\xBF\xBD");
  EXPECT_EQ(repair_utf8("\xF0\x9F\x98", Utf8Repair::kPerByte), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(repair_utf8("\xE4\x41", Utf8Repair::kMaximalSubpart), "\xEF\xBF\xBD" "A");
  EXPECT_EQ(repair_utf8("\xE4\x41", Utf8Repair::kPerByte), "\xEF\xBF\xBD" "A");
  EXPECT_EQ(repair_utf8("\xC0\xAF", Utf8Repair::kMaximalSubpart), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(repair_utf8("\xED\xA0\x80", Utf8Repair::kMaximalSubpart), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(repair_utf8("a\xE2\x82\xAC", Utf8Repair::kPerByte), "a\xE2\x82\xAC");
}

TEST(PreTokenizerRegex, WhitespaceClassesWidenedLikeRust) {
  EXPECT_EQ(widen_whitespace_classes(R"(\s+(?!\S)|[^\s\p{L}])"), R"([\s\x{85}]+(?![^\s\x{85}])|[^\s\x{85}\p{L}])");
  EXPECT_EQ(widen_whitespace_classes(R"([\]\s]\\s)"), R"([\]\s\x{85}]\\s)");
  EXPECT_THROW(PreTokenizer("(unclosed", "test"), Error);
}

TEST(VocabErrors, NamesTheFieldAndTheProblem) {
  auto message_of = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Vocab v;
  v.source = "bad.gguf";
  EXPECT_NE(message_of([&] { Tokenizer t(v); }).find("bad.gguf: tokens: the vocab is empty"), std::string::npos);
  v.tokens = {"a", "b"};
  v.merges = {"a c"};
  EXPECT_THROW(Tokenizer{v}, Error);  // no byte tokens
  EXPECT_NE(message_of([] { vocab_from_hf_json_text("{", "", "x.json"); }).find("x.json: invalid JSON"), std::string::npos);
  EXPECT_NE(message_of([] { vocab_from_hf_json_text(R"({"model":{"type":"Unigram"}})", "", "x.json"); })
                .find("model.type"),
            std::string::npos);
  std::vector<gguf::KeyValue> kvs;
  EXPECT_NE(message_of([&] { vocab_from_gguf(kvs, "m.gguf"); }).find("m.gguf: tokenizer.ggml.model: missing"),
            std::string::npos);
  gguf::Value model;
  model.type = gguf::ValueType::STRING;
  model.str = "gpt2";
  kvs.push_back({"tokenizer.ggml.model", model});
  EXPECT_NE(message_of([&] { vocab_from_gguf(kvs, "m.gguf"); }).find("tokenizer.ggml.tokens: missing"), std::string::npos);
  if (!sentencepiece_available()) {
    EXPECT_NE(message_of([] { vocab_from_sentencepiece("x.model"); }).find("without libsentencepiece"), std::string::npos);
  } else {
    EXPECT_NE(message_of([] { vocab_from_sentencepiece("/nonexistent/x.model"); }).find("/nonexistent/x.model"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace tern::tok
