// Every case of ../shared/tokenizers/llama3 (tiktoken + transformers.js agree on all):
// encode ids, decode bytes and text, round trips, and streaming decode, with the tokenizer
// loaded from tokenizer.json and from GGUF metadata made of the same vocab.
#include <gtest/gtest.h>

#include <chrono>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer_test_util.h"

namespace tern::tok {
namespace {

using test::from_hex;
using test::ids_of;

const Vocab& llama3_vocab() {
  static const Vocab v = vocab_from_hf_json(test::shared_path("tokenizers/llama3/tokenizer.json"));
  return v;
}
const Tokenizer& llama3_json() {
  static const Tokenizer t(llama3_vocab());
  return t;
}
const Tokenizer& llama3_gguf() {
  static const std::vector<gguf::KeyValue> kvs = test::gguf_metadata_of(llama3_vocab(), "llama-bpe");
  static const Tokenizer t(vocab_from_gguf(kvs, "llama3.gguf"));
  return t;
}
const std::vector<nlohmann::json>& cases() {
  static const auto c = test::read_jsonl(test::shared_path("tokenizers/llama3/cases.jsonl"));
  return c;
}

TEST(Llama3Tokenizer, LoadsFromJsonWithSpecialIds) {
  const Tokenizer& t = llama3_json();
  EXPECT_EQ(t.n_vocab(), 128256);
  EXPECT_EQ(t.kind(), ModelKind::kByteLevelBpe);
  EXPECT_EQ(t.bos(), 128000);
  EXPECT_EQ(t.eos(), 128001);
  EXPECT_EQ(t.eot(), 128009);
  EXPECT_TRUE(t.is_eog(128001));
  EXPECT_TRUE(t.is_eog(128009));
  EXPECT_FALSE(t.is_eog(128000));
  EXPECT_EQ(llama3_vocab().merges.size(), 280147u);
  EXPECT_EQ(t.token_to_piece(1917), " world");
  EXPECT_EQ(t.token_text(1917), "\xC4\xA0world");  // "Ġworld"
}

void check_encode_cases(const Tokenizer& t, const char* loaded_from) {
  size_t n = 0, failed = 0;
  for (const auto& c : cases()) {
    if (c["kind"] != "encode") continue;
    ++n;
    const std::string text = c["text"];
    const bool parse_special = c["parse_special"];
    std::vector<int32_t> got = t.encode(text, false, parse_special);
    if (got != ids_of(c["ids"])) {
      ++failed;
      ADD_FAILURE() << loaded_from << " [" << c["category"] << "] " << c["text"].dump()
                    << " parse_special=" << parse_special << "\n  want " << c["ids"].dump()
                    << "\n  got  " << nlohmann::json(got).dump();
      continue;
    }
    EXPECT_EQ(t.decode(got), text) << "round trip " << c["text"].dump();
  }
  EXPECT_EQ(n, 520u);
  EXPECT_EQ(failed, 0u) << loaded_from;
}

TEST(Llama3Tokenizer, AllEncodeCasesFromTokenizerJson) { check_encode_cases(llama3_json(), "tokenizer.json"); }
TEST(Llama3Tokenizer, AllEncodeCasesFromGgufMetadata) { check_encode_cases(llama3_gguf(), "gguf"); }

TEST(Llama3Tokenizer, AllDecodeCases) {
  size_t n = 0;
  for (const Tokenizer* t : {&llama3_json(), &llama3_gguf()}) {
    for (const auto& c : cases()) {
      if (c["kind"] != "decode") continue;
      ++n;
      std::vector<int32_t> ids = ids_of(c["ids"]);
      EXPECT_EQ(t->decode_bytes(ids), from_hex(c["bytes_hex"])) << c.dump();
      EXPECT_EQ(t->decode(ids), c["text"].get<std::string>()) << c.dump();
      // Streaming gives the same text, and never half a character in any chunk.
      StreamDecoder stream(*t);
      std::string streamed;
      for (int32_t id : ids) {
        std::string chunk = stream.push(id);
        for (size_t i = 0; i < chunk.size();) {
          size_t len = 0;
          auto b = static_cast<uint8_t>(chunk[i]);
          len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
          ASSERT_LE(i + len, chunk.size()) << "chunk ends inside a character: " << c.dump();
          i += len;
        }
        streamed += chunk;
      }
      streamed += stream.flush();
      EXPECT_EQ(streamed, c["text"].get<std::string>()) << c.dump();
    }
  }
  EXPECT_EQ(n, 2 * 144u);
}

TEST(Llama3Tokenizer, StreamingMatchesDecodeOnEveryEncodeCase) {
  const Tokenizer& t = llama3_json();
  for (const auto& c : cases()) {
    if (c["kind"] != "encode") continue;
    std::vector<int32_t> ids = ids_of(c["ids"]);
    StreamDecoder stream(t);
    std::string out;
    for (int32_t id : ids) out += stream.push(id);
    out += stream.flush();
    EXPECT_EQ(out, c["text"].get<std::string>());
  }
}

TEST(Llama3Tokenizer, SpecialTokensOnlyWithParseSpecial) {
  const Tokenizer& t = llama3_json();
  const std::string text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
  EXPECT_EQ(t.encode(text, false, true), (std::vector<int32_t>{128006, 882, 128007, 271, 13347, 128009}));
  std::vector<int32_t> plain = t.encode(text, false, false);
  for (int32_t id : plain) EXPECT_LT(id, 128000) << "special id from plain text";
  EXPECT_EQ(t.decode(plain), text);
  // BOS only when asked.
  EXPECT_EQ(t.encode("Hello world", true, false), (std::vector<int32_t>{128000, 9906, 1917}));
  EXPECT_EQ(t.encode("Hello world", false, false), (std::vector<int32_t>{9906, 1917}));
  // Skipping specials on decode.
  std::vector<int32_t> ids{128000, 9906, 1917, 128009};
  EXPECT_EQ(t.decode(ids, Special::kSkip), "Hello world");
  EXPECT_EQ(t.decode(ids, Special::kRender), "<|begin_of_text|>Hello world<|eot_id|>");
}

TEST(Llama3Tokenizer, OneMegabyteOfOneCharacterIsFastAndExact) {
  const Tokenizer& t = llama3_json();
  for (const std::string unit : {"a", " ", "1", "!", "\n", "\xC3\xA9", "\xE6\x97\xA5"}) {
    std::string text;
    while (text.size() < (1u << 20)) text += unit;
    auto start = std::chrono::steady_clock::now();
    std::vector<int32_t> ids = t.encode(text);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(t.decode_bytes(ids), text) << "unit " << unit;
    // Release: ~0.3 s CPU each; ASan+UBSan on a loaded 2-core machine: up to ~20 s. A
    // quadratic BPE would take hours on 1 MiB, so this bound still catches it.
    EXPECT_LT(secs, 90.0) << "unit " << unit;
    std::printf("1 MiB of '%s': %zu ids in %.3f s\n", unit == "\n" ? "\\n" : unit.c_str(), ids.size(), secs);
    EXPECT_LT(ids.size(), text.size() / 2 + 2) << "unit " << unit;  // merges happened
  }
}

TEST(Llama3Tokenizer, LongWordPathMergesExactlyLikeShortPath) {
  // Words longer than the short-path limit use the heap; both must give the same merges.
  const Tokenizer& t = llama3_json();
  uint32_t seed = 12345;
  auto next = [&] { seed = seed * 1664525u + 1013904223u; return seed >> 8; };
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz";
  for (int trial = 0; trial < 200; ++trial) {
    std::string word(static_cast<size_t>(2 + next() % 200), 'x');
    for (char& c : word) c = alphabet[next() % (trial % 3 == 0 ? 3 : 26)];
    EXPECT_EQ(bpe_merge_word(t.impl(), word, false), bpe_merge_word(t.impl(), word, true)) << word;
  }
}

}  // namespace
}  // namespace tern::tok
