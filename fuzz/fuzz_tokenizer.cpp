// libFuzzer target for the tokenizer. The first input byte picks what to do with the rest:
//   encode (byte-level BPE or SentencePiece, parse_special on/off, BOS on/off) and check
//   that byte-level decode_bytes gives the input back (and encode_marked agrees with encode
//   with no literal range or one over all); decode the rest as 16-bit ids
//   (out-of-range ids must throw tern::Error) and check streaming == batch decode; or load
//   the rest as a tokenizer.json (only tern::Error may come out).
// The vocabularies are small synthetic ones built here, so every run is fast and the target
// needs no files.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tern/error.h"
#include "tern/tokenizer.h"
#include "tokenizer/byte_unicode.h"

namespace {

using namespace tern::tok;

// GPT-2 byte alphabet entry of byte b, as UTF-8.
std::string byte_char(uint8_t b) { return bytes_to_unicode_token(std::string(1, static_cast<char>(b))); }

const char* const kWords[] = {"the", " the", "ing", " and", "tion", "  ", "    ", "\n\n", "\xC3\xA9t\xC3\xA9",
                              "\xE6\x97\xA5\xE6\x9C\xAC", "123", "'s", " <|", "|>", "aaaa", "aaaaaaaa", "\xF0\x9F\x99\x82"};

Tokenizer make_byte_level() {
  Vocab v;
  v.kind = ModelKind::kByteLevelBpe;
  v.source = "fuzz-bpe";
  for (int b = 0; b < 256; ++b) v.tokens.push_back(byte_char(static_cast<uint8_t>(b)));
  auto has = [&](const std::string& t) {
    for (const auto& x : v.tokens)
      if (x == t) return true;
    return false;
  };
  for (const char* w : kWords) {
    std::string word(w);
    std::string cur = byte_char(static_cast<uint8_t>(word[0]));
    for (size_t i = 1; i < word.size(); ++i) {
      std::string next = byte_char(static_cast<uint8_t>(word[i]));
      if (!has(cur + next)) {
        v.tokens.push_back(cur + next);
        v.merges.push_back(cur + " " + next);
      }
      cur += next;
    }
  }
  v.types.assign(v.tokens.size(), TokenType::kNormal);
  for (const char* s : {"<|begin_of_text|>", "<|eot_id|>", "<|eot|>", "<s>"}) {
    v.tokens.push_back(s);
    v.types.push_back(TokenType::kControl);
  }
  v.bos = static_cast<int32_t>(v.tokens.size()) - 4;
  v.eos = v.bos + 1;
  v.pretokenizer_regex = kLlama3Pattern;
  return Tokenizer(std::move(v));
}

Tokenizer make_sentencepiece() {
  Vocab v;
  v.kind = ModelKind::kSentencePiece;
  v.source = "fuzz-spm";
  auto add = [&](const std::string& t, TokenType type, float score) {
    v.tokens.push_back(t);
    v.types.push_back(type);
    v.scores.push_back(score);
  };
  add("<unk>", TokenType::kUnknown, 0);
  add("<s>", TokenType::kControl, 0);
  add("</s>", TokenType::kControl, 0);
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    add(buf, TokenType::kByte, 0);
  }
  const std::string sp = "\xE2\x96\x81";
  float score = -1;
  for (const std::string& p : {sp, sp + "t", sp + "th", sp + "the", std::string("t"), std::string("h"), std::string("e"),
                               std::string("a"), std::string("he"), std::string("in"), std::string("ing"), sp + sp,
                               std::string("\xC3\xA9"), std::string("\xE6\x97\xA5"), std::string("n"), std::string("i"),
                               std::string("g"), sp + "a", std::string("aa")})
    add(p, TokenType::kNormal, score--);
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.add_space_prefix = true;
  return Tokenizer(std::move(v));
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_tokenizer: check failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Tokenizer bpe = make_byte_level();
  static const Tokenizer spm = make_sentencepiece();
  if (size == 0) return 0;
  const uint8_t op = data[0];
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const Tokenizer& t = (op & 1) ? spm : bpe;
  const bool parse_special = op & 2, add_bos = op & 4;
  switch ((op >> 3) % 3) {
    case 0: {  // encode
      std::vector<int32_t> ids = t.encode(rest, add_bos, parse_special);
      for (int32_t id : ids) check(id >= 0 && id < t.n_vocab(), "encode produced an out-of-range id");
      // encode_marked: no literal range is encode with special tokens, one over the whole
      // text is encode without.
      const std::vector<tern::TextSpan> whole = {{0, rest.size()}};
      check(t.encode_marked(rest, parse_special ? std::vector<tern::TextSpan>{} : whole, add_bos) == ids,
            "encode_marked == encode at the extremes");
      if (&t == &bpe) {
        std::vector<int32_t> body(ids.begin() + (add_bos ? 1 : 0), ids.end());
        check(t.decode_bytes(body) == rest, "byte-level round trip");
      }
      std::string text = t.decode(ids);
      StreamDecoder s(t);
      std::string streamed;
      for (int32_t id : ids) streamed += s.push(id);
      streamed += s.flush();
      check(streamed == text, "streaming decode == decode (encoded ids)");
      break;
    }
    case 1: {  // decode arbitrary ids, some out of range
      std::vector<int32_t> ids;
      for (size_t i = 0; i + 1 < rest.size(); i += 2)
        ids.push_back(static_cast<int16_t>(static_cast<uint8_t>(rest[i]) | (static_cast<uint8_t>(rest[i + 1]) << 8)));
      bool bad = false;
      for (int32_t id : ids) bad = bad || id < 0 || id >= t.n_vocab();
      Special special = parse_special ? Special::kSkip : Special::kRender;
      std::string text;
      try {
        text = t.decode(ids, special);
        check(!bad, "decode accepted an out-of-range id");
      } catch (const tern::Error&) {
        check(bad, "decode threw on valid ids");
        return 0;
      }
      StreamDecoder s(t, special);
      std::string streamed;
      for (int32_t id : ids) streamed += s.push(id);
      streamed += s.flush();
      check(streamed == text, "streaming decode == decode (arbitrary ids)");
      break;
    }
    default: {  // tokenizer.json loader
      try {
        Vocab v = vocab_from_hf_json_text(rest, "", "fuzz.json");
        if (v.tokens.size() <= 4096) {
          Tokenizer loaded(std::move(v));
          loaded.encode("Hello <|eot_id|> world", true, true);
        }
      } catch (const tern::Error&) {
      }
      break;
    }
  }
  return 0;
}
