// Code-point view of UTF-8 text with Python's str semantics (see unicode.h).
//
// libunistring supplies the Unicode data: full case mappings (SpecialCasing included),
// general category, bidi class, the derived Cased / Case_Ignorable / Lowercase / Uppercase
// properties and the digit / decimal / numeric fields. What is Python's own is spelled out
// here, following CPython's unicodeobject.c and makeunicodedata.py:
//   * which properties make up isspace(), isprintable(), isalpha(), isdigit(), isalnum(),
//     islower() and isupper();
//   * case conversion walks the string one code point at a time: upper(), lower(), title()
//     and capitalize() map each code point with its full mapping, lower() alone looks at
//     neighbours (final sigma). libunistring's u32_totitle capitalizes at Unicode word
//     boundaries, Python's title() after any uncased character, so only single-code-point
//     mappings are taken from libunistring.
// The escaped invalid bytes (U+DC80..U+DCFF, see decode()) have no case and no class.
#include "chat/unicode.h"

#include <unicase.h>
#include <unictype.h>
#include <unistr.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "tokenizer/utf8.h"

namespace tern::chat::unicode {

namespace {

bool is_escaped_byte(char32_t cp) { return cp >= 0xDC80 && cp <= 0xDCFF; }

}  // namespace

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    // u8_mbtoucr rejects overlong forms, surrogates and values past U+10FFFF, as a strict
    // decoder does; each byte it does not accept is escaped on its own.
    ucs4_t cp;
    int len = u8_mbtoucr(&cp, p + i, s.size() - i);
    if (len > 0) {
      out.push_back(cp);
      i += static_cast<std::size_t>(len);
    } else {
      out.push_back(0xDC00 + p[i]);  // surrogateescape: one invalid byte -> U+DC80..U+DCFF
      i += 1;
    }
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (is_escaped_byte(cp)) out.push_back(static_cast<char>(cp - 0xDC00));  // back out as itself
  else tok::append_utf8(out, cp);
}

std::string encode(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) append_utf8(out, c);
  return out;
}

std::size_t length(std::string_view s) {
  bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  return ascii ? s.size() : decode(s).size();
}

// CPython marks as whitespace the bidi classes WS, B, S and the category Zs.
bool is_space(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
  int bidi = uc_bidi_class(cp);
  return bidi == UC_BIDI_WS || bidi == UC_BIDI_B || bidi == UC_BIDI_S || uc_is_general_category(cp, UC_CATEGORY_Zs);
}
bool is_cased(char32_t cp) { return uc_is_property_cased(cp); }
bool is_case_ignorable(char32_t cp) { return uc_is_property_case_ignorable(cp); }
// CPython: printable unless in categories C* (Cc Cf Cs Co Cn) or Z* (Zs Zl Zp), but ' ' is.
bool is_printable(char32_t cp) {
  if (cp == ' ') return true;
  return !uc_is_general_category(cp, UC_CATEGORY_C) && !uc_is_general_category(cp, UC_CATEGORY_Z);
}

namespace {

// CPython's per-character classes (makeunicodedata.py): ALPHA = categories Lm Lt Lu Ll Lo;
// DIGIT = a value in UnicodeData's digit field (superscripts count, unlike '\d');
// DECIMAL = the decimal field; NUMERIC = the numeric field.
bool is_alpha_cp(char32_t cp) { return uc_is_general_category(cp, UC_CATEGORY_L); }
bool is_digit_cp(char32_t cp) { return uc_digit_value(cp) >= 0; }
bool is_alnum_cp(char32_t cp) {
  return is_alpha_cp(cp) || uc_decimal_value(cp) >= 0 || is_digit_cp(cp) || uc_numeric_value(cp).denominator != 0;
}

template <class Pred>
bool all_of_nonempty(std::string_view text, Pred pred) {
  std::u32string s = decode(text);
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

// str.islower() / str.isupper(): no character of the other case (titlecase counts as
// other) and at least one of this case. `mine` / `other` are Unicode's Lowercase /
// Uppercase properties, as in CPython.
bool is_one_case(std::string_view text, bool (*mine)(ucs4_t), bool (*other)(ucs4_t)) {
  bool seen = false;
  for (char32_t c : decode(text)) {
    if (other(c) || uc_is_general_category(c, UC_CATEGORY_Lt)) return false;
    seen = seen || mine(c);
  }
  return seen;
}

}  // namespace

bool isspace(std::string_view text) { return all_of_nonempty(text, is_space); }
bool isalpha(std::string_view text) { return all_of_nonempty(text, is_alpha_cp); }
bool isdigit(std::string_view text) { return all_of_nonempty(text, is_digit_cp); }
bool isalnum(std::string_view text) { return all_of_nonempty(text, is_alnum_cp); }
bool islower(std::string_view text) {
  return is_one_case(text, uc_is_property_lowercase, uc_is_property_uppercase);
}
bool isupper(std::string_view text) {
  return is_one_case(text, uc_is_property_uppercase, uc_is_property_lowercase);
}

namespace {

enum class Case { kUpper, kLower, kTitle };

// The full mapping of one code point (up to three code points, e.g. ß -> SS). No language
// is passed, so only Unicode's unconditional mappings apply, as in Python.
void append_mapped(std::u32string& out, Case to, char32_t cp) {
  if (cp < 0x80 || is_escaped_byte(cp)) {  // ASCII needs no table; escaped bytes stay
    if (to != Case::kLower && cp >= 'a' && cp <= 'z') cp -= 32;
    else if (to == Case::kLower && cp >= 'A' && cp <= 'Z') cp += 32;
    out.push_back(cp);
    return;
  }
  uint32_t buf[8];
  std::size_t n = std::size(buf);
  const uint32_t in = cp;
  auto* map = to == Case::kUpper ? u32_toupper : to == Case::kLower ? u32_tolower : u32_totitle;
  uint32_t* r = map(&in, 1, nullptr, nullptr, buf, &n);
  if (!r) throw std::bad_alloc();  // libunistring fails only when out of memory
  out.append(r, r + n);
  if (r != buf) std::free(r);
}

// CPython's lower() of U+03A3 at position i: final sigma when preceded by a cased letter
// and not followed by one (case-ignorable characters skipped both ways).
char32_t lower_sigma(const std::u32string& s, std::size_t i) {
  std::size_t j = i;
  bool found = false;
  char32_t c = 0;
  while (j > 0) {
    c = s[--j];
    if (!is_case_ignorable(c)) {
      found = true;
      break;
    }
  }
  bool final_sigma = found && is_cased(c);
  if (final_sigma) {
    std::size_t k = i + 1;
    while (k < s.size() && is_case_ignorable(s[k])) ++k;
    final_sigma = k == s.size() || !is_cased(s[k]);
  }
  return final_sigma ? 0x3C2 : 0x3C3;
}

void append_lower_at(std::u32string& out, const std::u32string& s, std::size_t i) {
  if (s[i] == 0x3A3) out.push_back(lower_sigma(s, i));
  else append_mapped(out, Case::kLower, s[i]);
}

}  // namespace

std::string upper(std::string_view text) {
  std::u32string s = decode(text), out;
  for (char32_t c : s) append_mapped(out, Case::kUpper, c);
  return encode(out);
}

std::string lower(std::string_view text) {
  std::u32string s = decode(text), out;
  for (std::size_t i = 0; i < s.size(); ++i) append_lower_at(out, s, i);
  return encode(out);
}

std::string capitalize(std::string_view text) {
  std::u32string s = decode(text), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 0) append_mapped(out, Case::kTitle, s[0]);
    else append_lower_at(out, s, i);
  }
  return encode(out);
}

std::string title(std::string_view text) {
  std::u32string s = decode(text), out;
  bool previous_cased = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (previous_cased) append_lower_at(out, s, i);
    else append_mapped(out, Case::kTitle, s[i]);
    previous_cased = is_cased(s[i]);
  }
  return encode(out);
}

std::string jinja_title(std::string_view text) {
  // Jinja splits on runs of [-\s(\{\[\<]+ (keeping them); each piece is
  // piece[0].upper() + piece[1:].lower().
  std::u32string s = decode(text);
  auto is_sep = [](char32_t c) { return is_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<'; };
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    bool sep = is_sep(s[i]);
    std::size_t j = i + 1;
    while (j < s.size() && is_sep(s[j]) == sep) ++j;
    out += upper(encode(std::u32string_view(s).substr(i, 1)));
    out += lower(encode(std::u32string_view(s).substr(i + 1, j - i - 1)));
    i = j;
  }
  return out;
}

std::string strip(std::string_view text, const std::string* chars, bool left, bool right) {
  std::u32string s = decode(text);
  std::u32string set;
  if (chars) set = decode(*chars);
  auto drop = [&](char32_t c) { return chars ? set.find(c) != std::u32string::npos : is_space(c); };
  std::size_t b = 0, e = s.size();
  if (left)
    while (b < e && drop(s[b])) ++b;
  if (right)
    while (e > b && drop(s[e - 1])) --e;
  return encode(std::u32string_view(s).substr(b, e - b));
}

}  // namespace tern::chat::unicode
