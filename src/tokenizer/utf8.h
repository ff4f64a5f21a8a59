// UTF-8 helpers shared by the pre-tokenizers and the decoders.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::tok {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Appends the UTF-8 encoding of `cp` (must be a valid scalar value).
void append_utf8(std::string& out, char32_t cp);

// Length of the valid UTF-8 character starting at s[0], or 0 if the bytes there are not a
// complete, valid character (overlong forms, surrogates and > U+10FFFF are invalid).
size_t valid_utf8_char_len(std::string_view s);

// How invalid bytes become U+FFFD when bytes are turned into text.
enum class Utf8Repair {
  kMaximalSubpart,  // one U+FFFD per maximal invalid subsequence (WHATWG, Python "replace")
  kPerByte,         // one U+FFFD per invalid byte (sentencepiece)
};

// Incremental UTF-8 repair: feed bytes, get valid UTF-8 out; bytes that may still become a
// valid character are held (at most 3).
class Utf8Repairer {
 public:
  explicit Utf8Repairer(Utf8Repair mode) : mode_(mode) {}
  void feed(std::string_view bytes, std::string& out);
  void finish(std::string& out);  // held bytes become U+FFFD
  bool empty() const { return n_ == 0; }
  size_t held() const { return static_cast<size_t>(n_); }

 private:
  void drain(std::string& out);
  Utf8Repair mode_;
  uint8_t buf_[4] = {};
  int n_ = 0;
};

// Whole-string convenience.
std::string repair_utf8(std::string_view bytes, Utf8Repair mode);

}  // namespace tern::tok
