#include "tokenizer/byte_unicode.h"

#include "tokenizer/utf8.h"

namespace tern::tok {

namespace {

struct Tables {
  std::array<char32_t, 256> to_cp{};
  std::array<int16_t, 324> from_cp{};  // code points 0..323 cover the whole alphabet

  Tables() {
    from_cp.fill(-1);
    auto printable = [](int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      char32_t cp = printable(b) ? static_cast<char32_t>(b) : next++;
      to_cp[b] = cp;
      from_cp[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

char32_t byte_to_codepoint(uint8_t b) { return tables().to_cp[b]; }

std::optional<uint8_t> codepoint_to_byte(char32_t cp) {
  if (cp >= tables().from_cp.size() || tables().from_cp[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(tables().from_cp[cp]);
}

std::string unicode_token_to_bytes(std::string_view token, bool* all_mapped) {
  std::string out;
  out.reserve(token.size());
  bool ok = true;
  size_t i = 0;
  while (i < token.size()) {
    size_t len = valid_utf8_char_len(token.substr(i));
    if (len == 0) {  // not UTF-8: keep the byte
      out += token[i++];
      ok = false;
      continue;
    }
    const auto* p = reinterpret_cast<const uint8_t*>(token.data() + i);
    char32_t cp = len == 1 ? p[0] : len == 2 ? ((p[0] & 0x1F) << 6) | (p[1] & 0x3F)
                 : len == 3 ? ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F)
                 : ((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    if (auto b = codepoint_to_byte(cp)) {
      out += static_cast<char>(*b);
    } else {
      out.append(token.data() + i, len);
      ok = false;
    }
    i += len;
  }
  if (all_mapped) *all_mapped = ok;
  return out;
}

std::string bytes_to_unicode_token(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) append_utf8(out, byte_to_codepoint(static_cast<uint8_t>(c)));
  return out;
}

}  // namespace tern::tok
