// The tokenizer.model reader: the shared Llama 2 model read field by field, checked piece by
// piece against libsentencepiece (the reference implementation) when tern has it, and the
// refusal of every option or malformed input, naming the file and the proto field.
#include <gtest/gtest.h>

#include "hf/json_util.h"
#include "hf/sentencepiece_model.h"
#include "tokenizer_convert_util.h"

namespace tern::hf::test {
namespace {

const std::string& llama2_bytes() {
  static const std::string b = read_text_file(llama2_model_path());
  return b;
}

TEST(SentencePieceModel, ReadsLlama2) {
  const SpmModel m = parse_sentencepiece_model(llama2_bytes(), "tokenizer.model");
  ASSERT_EQ(m.pieces.size(), 32000u);
  EXPECT_EQ(m.pieces[0].piece, "<unk>");
  EXPECT_EQ(m.pieces[0].type, 2);
  EXPECT_EQ(m.pieces[1].piece, "<s>");
  EXPECT_EQ(m.pieces[1].type, 3);
  EXPECT_EQ(m.pieces[2].piece, "</s>");
  EXPECT_EQ(m.pieces[3].piece, "<0x00>");
  EXPECT_EQ(m.pieces[3].type, 6);
  EXPECT_EQ(m.pieces[258].piece, "<0xFF>");
  EXPECT_EQ(m.pieces[15043].piece, "\xE2\x96\x81Hello");
  EXPECT_EQ(m.pieces[15043].type, 1);
  EXPECT_LT(m.pieces[15043].score, m.pieces[300].score);  // later merges score lower
  EXPECT_EQ(m.model_type, 2);
  EXPECT_TRUE(m.byte_fallback);
  EXPECT_EQ(m.unk_id, 0);
  EXPECT_EQ(m.bos_id, 1);
  EXPECT_EQ(m.eos_id, 2);
  EXPECT_EQ(m.pad_id, -1);  // a negative int32: a 10-byte varint
  EXPECT_EQ(m.normalizer_name, "identity");
  EXPECT_EQ(m.precompiled_charsmap_bytes, 0u);
  EXPECT_TRUE(m.add_dummy_prefix);
  EXPECT_FALSE(m.remove_extra_whitespaces);
  EXPECT_NO_THROW(check_sentencepiece_supported(m, "tokenizer.model"));
}

TEST(SentencePieceModel, SameAsLibsentencepiece) {
  if (!tok::sentencepiece_available()) GTEST_SKIP() << "built without libsentencepiece";
  const tok::Vocab ref = tok::vocab_from_sentencepiece(llama2_model_path());
  const SpmModel m = parse_sentencepiece_model(llama2_bytes(), "tokenizer.model");
  ASSERT_EQ(ref.tokens.size(), m.pieces.size());
  size_t differ = 0;
  for (size_t i = 0; i < m.pieces.size(); ++i) {
    differ += ref.tokens[i] != m.pieces[i].piece || ref.scores[i] != m.pieces[i].score ||
              static_cast<int32_t>(ref.types[i]) != m.pieces[i].type;
  }
  EXPECT_EQ(differ, 0u);
}

// A minimal BPE model: <unk>, <s>, </s>, one piece; options appended per test.
std::string tiny_model(const std::string& trainer_extra, const std::string& normalizer_extra) {
  return pb_piece("<unk>", 0, 2) + pb_piece("<s>", 0, 3) + pb_piece("</s>", 0, 3) + pb_piece("a", -1, 1) +
         pb_bytes(2, pb_int(3, 2) + trainer_extra) +
         pb_bytes(3, pb_bytes(1, "identity") + pb_int(4, 0) + normalizer_extra);
}

TEST(SentencePieceModel, TinyModelAccepted) {
  const SpmModel m = parse_sentencepiece_model(tiny_model(pb_int(43, 3), ""), "t.model");
  EXPECT_EQ(m.pieces.size(), 4u);
  EXPECT_EQ(m.pieces[3].score, -1.0f);
  EXPECT_EQ(m.pad_id, 3);
  EXPECT_NO_THROW(check_sentencepiece_supported(m, "t.model"));
}

TEST(SentencePieceModel, RefusesWhatTernDoesNotReproduce) {
  struct Case {
    const char* name;
    std::string bytes;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"unigram", pb_piece("a", 0, 1) + pb_bytes(2, pb_int(3, 1)) + pb_bytes(3, pb_int(4, 0)),
       {"t.model", "trainer_spec.model_type", "UNIGRAM"}},
      {"no trainer_spec (proto default: unigram)", pb_piece("a", 0, 1) + pb_bytes(3, pb_int(4, 0)),
       {"trainer_spec.model_type", "UNIGRAM"}},
      {"nfkc table", tiny_model("", pb_bytes(2, std::string(40, 'x'))),
       {"normalizer_spec.precompiled_charsmap", "40 bytes", "identity"}},
      {"remove_extra_whitespaces default", pb_piece("a", 0, 1) + pb_bytes(2, pb_int(3, 2)),
       {"normalizer_spec.remove_extra_whitespaces"}},
      {"escape_whitespaces false", tiny_model("", pb_int(5, 0)), {"normalizer_spec.escape_whitespaces"}},
      {"whitespace as suffix", tiny_model(pb_int(24, 1), ""), {"trainer_spec.treat_whitespace_as_suffix"}},
      {"denormalizer", tiny_model("", "") + pb_bytes(5, pb_bytes(2, "yy")), {"denormalizer_spec"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    expect_refusal([&] { check_sentencepiece_supported(parse_sentencepiece_model(c.bytes, "t.model"), "t.model"); },
                   c.parts);
  }
}

TEST(SentencePieceModel, MalformedInputNamesTheField) {
  const std::string ok = tiny_model("", "");
  struct Case {
    const char* name;
    std::string bytes;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"truncated", ok.substr(0, ok.size() - 3), {"t.model", "malformed protobuf"}},
      {"length past the end", pb_key(1, 2) + pb_varint(1000) + "ab", {"t.model: ModelProto", "claims 1000 bytes"}},
      {"group wire type", pb_key(1, 3), {"wire type 3"}},
      {"field number 0", pb_key(0, 0) + pb_varint(1), {"field number 0"}},
      {"unterminated varint", pb_key(2, 0) + std::string(11, '\xFF'), {"varint"}},
      {"piece type 9", pb_bytes(1, pb_bytes(1, "a") + pb_int(3, 9)), {"pieces[0].type", "unknown piece type 9"}},
      {"score as varint", pb_bytes(1, pb_bytes(1, "a") + pb_int(2, 1)), {"pieces[0].score", "wire type"}},
      {"empty piece", pb_piece("", 0, 1), {"pieces[0].piece", "empty"}},
      {"repeated piece", pb_piece("a", 0, 1) + pb_piece("a", 0, 1), {"pieces[1].piece", "'a' appears twice"}},
      {"no pieces", pb_bytes(2, pb_int(3, 2)), {"pieces", "no pieces"}},
      {"bad nested message", pb_piece("a", 0, 1) + pb_bytes(3, "\x1A\x05"), {"normalizer_spec", "malformed"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    expect_refusal([&] { parse_sentencepiece_model(c.bytes, "t.model"); }, c.parts);
  }
}

}  // namespace
}  // namespace tern::hf::test
