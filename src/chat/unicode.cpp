// Code-point view of UTF-8 text with Python's str semantics (see unicode.h).
#include "chat/unicode.h"

#include <algorithm>

#include "chat/unicode_tables.h"

namespace tern::chat::unicode {

namespace t = tables;

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      else cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF, as a strict decoder does.
    if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
               (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF))
      ok = false;
    if (!ok) {
      out.push_back(0xDC00 + c);  // surrogateescape: one invalid byte -> U+DC80..U+DCFF
      i += 1;
    } else {
      out.push_back(cp);
      i += static_cast<std::size_t>(len);
    }
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp >= 0xDC80 && cp <= 0xDCFF) {  // an escaped invalid byte goes back out as itself
    out.push_back(static_cast<char>(cp - 0xDC00));
  } else if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
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

static bool in_ranges(const t::Range* r, std::size_t n, char32_t cp) {
  const t::Range* end = r + n;
  const t::Range* it = std::upper_bound(r, end, cp, [](char32_t c, const t::Range& x) { return c < x.first; });
  return it != r && cp <= (it - 1)->last;
}

bool is_space(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
  return in_ranges(t::k_space, t::k_space_size, cp);
}
bool is_cased(char32_t cp) { return in_ranges(t::k_cased, t::k_cased_size, cp); }
bool is_printable(char32_t cp) { return !in_ranges(t::k_nonprintable, t::k_nonprintable_size, cp); }
bool is_case_ignorable(char32_t cp) { return in_ranges(t::k_case_ignorable, t::k_case_ignorable_size, cp); }

namespace {

struct Mapping {
  const t::CaseRun* runs;
  std::size_t n_runs;
  const t::CaseMulti* multi;
  std::size_t n_multi;
};
const Mapping k_upper{t::k_upper_runs, t::k_upper_runs_size, t::k_upper_multi, t::k_upper_multi_size};
const Mapping k_lower{t::k_lower_runs, t::k_lower_runs_size, t::k_lower_multi, t::k_lower_multi_size};
const Mapping k_title{t::k_title_runs, t::k_title_runs_size, t::k_title_multi, t::k_title_multi_size};

void append_mapped(std::u32string& out, const Mapping& m, char32_t cp) {
  const t::CaseMulti* mend = m.multi + m.n_multi;
  const t::CaseMulti* mi =
      std::lower_bound(m.multi, mend, cp, [](const t::CaseMulti& x, char32_t c) { return x.cp < c; });
  if (mi != mend && mi->cp == cp) {
    for (uint32_t to : mi->to)
      if (to) out.push_back(to);
    return;
  }
  const t::CaseRun* rend = m.runs + m.n_runs;
  const t::CaseRun* it =
      std::upper_bound(m.runs, rend, cp, [](char32_t c, const t::CaseRun& x) { return c < x.first; });
  if (it != m.runs) {
    const t::CaseRun& r = *(it - 1);
    if (cp <= r.last && (cp - r.first) % r.stride == 0) {
      out.push_back(static_cast<char32_t>(static_cast<int64_t>(cp) + r.delta));
      return;
    }
  }
  out.push_back(cp);
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
  else append_mapped(out, k_lower, s[i]);
}

}  // namespace

std::string upper(std::string_view text) {
  std::u32string s = decode(text), out;
  for (char32_t c : s) append_mapped(out, k_upper, c);
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
    if (i == 0) append_mapped(out, k_title, s[0]);
    else append_lower_at(out, s, i);
  }
  return encode(out);
}

std::string title(std::string_view text) {
  std::u32string s = decode(text), out;
  bool previous_cased = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (previous_cased) append_lower_at(out, s, i);
    else append_mapped(out, k_title, s[i]);
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
