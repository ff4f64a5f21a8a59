#include "tokenizer/utf8.h"

namespace tern::tok {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace {

// Sequence length announced by a lead byte, 0 for bytes that cannot start a character.
int lead_length(uint8_t b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}

// Whether `b` may follow `lead` as the byte at position `pos` (1..3) of a character; the
// second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
bool continuation_ok(uint8_t lead, int pos, uint8_t b) {
  uint8_t lo = 0x80, hi = 0xBF;
  if (pos == 1) {
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  }
  return b >= lo && b <= hi;
}

}  // namespace

size_t valid_utf8_char_len(std::string_view s) {
  if (s.empty()) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  int n = lead_length(p[0]);
  if (n == 0 || static_cast<size_t>(n) > s.size()) return 0;
  for (int i = 1; i < n; ++i)
    if (!continuation_ok(p[0], i, p[i])) return 0;
  return static_cast<size_t>(n);
}

void Utf8Repairer::drain(std::string& out) {
  while (n_ > 0) {
    int need = lead_length(buf_[0]);
    int bad_at = -1;  // index of the first byte that cannot continue the character
    if (need == 0) {
      bad_at = 1;  // the lead itself is invalid: one U+FFFD for it in either mode
    } else {
      for (int i = 1; i < n_ && i < need; ++i) {
        if (!continuation_ok(buf_[0], i, buf_[i])) {
          bad_at = i;
          break;
        }
      }
    }
    int drop;
    if (bad_at >= 0) {
      append_utf8(out, kReplacementChar);
      drop = mode_ == Utf8Repair::kPerByte ? 1 : bad_at;
    } else if (n_ >= need) {
      out.append(reinterpret_cast<const char*>(buf_), static_cast<size_t>(need));
      drop = need;
    } else {
      return;  // a valid prefix: wait for more bytes
    }
    for (int i = drop; i < n_; ++i) buf_[i - drop] = buf_[i];
    n_ -= drop;
  }
}

void Utf8Repairer::feed(std::string_view bytes, std::string& out) {
  size_t i = 0;
  // Fast path: with nothing held, copy whole valid ASCII / UTF-8 runs straight through.
  while (i < bytes.size()) {
    if (n_ == 0) {
      auto b = static_cast<uint8_t>(bytes[i]);
      if (b < 0x80) {
        size_t j = i + 1;
        while (j < bytes.size() && static_cast<uint8_t>(bytes[j]) < 0x80) ++j;
        out.append(bytes.data() + i, j - i);
        i = j;
        continue;
      }
      size_t len = valid_utf8_char_len(bytes.substr(i));
      if (len > 0) {
        out.append(bytes.data() + i, len);
        i += len;
        continue;
      }
    }
    buf_[n_++] = static_cast<uint8_t>(bytes[i++]);
    drain(out);
  }
}

void Utf8Repairer::finish(std::string& out) {
  // What is held is a valid but incomplete prefix.
  while (n_ > 0) {
    append_utf8(out, kReplacementChar);
    int drop = mode_ == Utf8Repair::kPerByte ? 1 : n_;
    for (int i = drop; i < n_; ++i) buf_[i - drop] = buf_[i];
    n_ -= drop;
    drain(out);
  }
}

std::string repair_utf8(std::string_view bytes, Utf8Repair mode) {
  std::string out;
  out.reserve(bytes.size());
  Utf8Repairer r(mode);
  r.feed(bytes, out);
  r.finish(out);
  return out;
}

}  // namespace tern::tok
