// Jinja2 lexer (see lexer.h). The structure follows jinja2/lexer.py's states: root text,
// comment, block, variable and raw, each scanning for its end the way Jinja's regexes do.
#include "chat/lexer.h"

#include <charconv>
#include <cstring>

#include "chat/unicode.h"
#include "runtime/parse_double.h"

namespace tern::chat {

namespace {

// One code point at s[i] (invalid bytes count as one unit), and its length in bytes.
char32_t code_point_at(std::string_view s, std::size_t i, std::size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + n > s.size()) n = 1;
  std::u32string cps = unicode::decode(s.substr(i, n));
  if (cps.size() != 1) {
    *len = 1;
    return 0xDC00 + c;
  }
  *len = n;
  return cps[0];
}

bool is_ws_at(std::string_view s, std::size_t i, std::size_t* len) {
  return unicode::is_space(code_point_at(s, i, len));
}

std::size_t skip_ws(std::string_view s, std::size_t i) {
  std::size_t len;
  while (i < s.size() && is_ws_at(s, i, &len)) i += len;
  return i;
}

// Python str.rstrip() length: text without its trailing whitespace.
std::size_t rstrip_len(std::string_view s) {
  std::size_t i = 0, keep = 0, len;
  while (i < s.size()) {
    bool ws = is_ws_at(s, i, &len);
    i += len;
    if (!ws) keep = i;
  }
  return keep;
}

bool all_ws(std::string_view s) { return !s.empty() && skip_ws(s, 0) == s.size(); }

bool starts(std::string_view s, std::size_t i, std::string_view what) {
  return i <= s.size() && s.substr(i, what.size()) == what;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) {
    // Jinja: split on \r\n|\r|\n and rejoin with \n; drop one trailing newline.
    src_.reserve(source.size());
    for (std::size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\r') {
        src_ += '\n';
        if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
      } else {
        src_ += source[i];
      }
    }
    if (!src_.empty() && src_.back() == '\n') src_.pop_back();
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run() {
    const std::string_view s = src_;
    std::size_t pos = 0;
    bool line_starting = true;
    while (pos < s.size()) {
      std::size_t idx = find_tag(pos);
      if (idx == std::string::npos) {
        emit_data(s.substr(pos), pos);
        break;
      }
      std::string_view text = s.substr(pos, idx - pos);
      char kind = s[idx + 1];
      std::size_t p = idx + 2;
      char sign = 0;
      if (p < s.size() && (s[p] == '-' || s[p] == '+')) sign = s[p++];
      std::size_t raw_body = kind == '%' ? match_raw_begin(p) : std::string::npos;
      text = apply_lstrip(text, sign, kind, line_starting);
      emit_data(text, pos);
      if (raw_body != std::string::npos) {
        line_starting = s[raw_body - 1] == '\n';
        pos = lex_raw(raw_body, line_starting, idx);
      } else if (kind == '#') {
        pos = lex_comment(p, idx);
      } else {
        pos = lex_tag(p, kind == '%', idx);
      }
      line_starting = pos > 0 && s[pos - 1] == '\n';
    }
    Token eof;
    eof.type = Tok::Eof;
    eof.pos = pos_at(s.size());
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

 private:
  // Line and column of a byte offset. Tokens come in source order, so a cursor advances
  // incrementally (linear overall, even for one huge line); going backwards restarts from
  // the line start.
  Pos pos_at(std::size_t offset) {
    if (offset < cur_offset_) {
      std::size_t lo = 0, hi = line_starts_.size();
      while (hi - lo > 1) {
        std::size_t mid = (lo + hi) / 2;
        if (line_starts_[mid] <= offset) lo = mid;
        else hi = mid;
      }
      cur_offset_ = line_starts_[lo];
      cur_line_ = static_cast<uint32_t>(lo + 1);
      cur_col_ = 1;
    }
    for (; cur_offset_ < offset && cur_offset_ < src_.size(); ++cur_offset_) {
      unsigned char c = static_cast<unsigned char>(src_[cur_offset_]);
      if (c == '\n') {
        ++cur_line_;
        cur_col_ = 1;
      } else if ((c & 0xC0) != 0x80) {  // count code points, not continuation bytes
        ++cur_col_;
      }
    }
    return {cur_line_, cur_col_};
  }

  std::size_t find_tag(std::size_t from) const {
    for (std::size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1))
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    return std::string::npos;
  }

  // Jinja's whitespace control for the text before a tag (or before {% endraw %}).
  std::string_view apply_lstrip(std::string_view text, char sign, char kind, bool line_starting) const {
    if (sign == '-') return text.substr(0, rstrip_len(text));
    if (sign != '+' && kind != '{') {
      std::size_t nl = text.rfind('\n');
      std::size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting) && all_ws(text.substr(l_pos))) return text.substr(0, l_pos);
    }
    return text;
  }

  void emit_data(std::string_view text, std::size_t offset) {
    if (text.empty()) return;
    Token t;
    t.type = Tok::Data;
    t.text = std::string(text);
    t.pos = pos_at(offset);
    tokens_.push_back(std::move(t));
  }

  void push(Tok type, std::size_t offset, std::string text = {}) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    t.pos = pos_at(offset);
    tokens_.push_back(std::move(t));
  }

  // After `{%` and its sign: `\s*raw\s*(-%}\s*|%})`. Returns where the raw body starts.
  std::size_t match_raw_begin(std::size_t p) const {
    std::string_view s = src_;
    std::size_t q = skip_ws(s, p);
    if (!starts(s, q, "raw")) return std::string::npos;
    q = skip_ws(s, q + 3);
    if (starts(s, q, "-%}")) return skip_ws(s, q + 3);
    if (starts(s, q, "%}")) return q + 2;
    return std::string::npos;
  }

  // Tag end for blocks and comments: `+%}` keeps what follows, `-%}` eats whitespace,
  // `%}` eats one newline (trim_blocks). `at` points at the sign or the `%`/`#`.
  std::size_t after_block_end(std::size_t at, char closer) const {
    std::string_view s = src_;
    if (s[at] == '+') return at + 3;
    if (s[at] == '-') return skip_ws(s, at + 3);
    std::size_t q = at + 2;
    (void)closer;
    if (q < s.size() && s[q] == '\n') ++q;
    return q;
  }

  std::size_t lex_raw(std::size_t body, bool line_starting, std::size_t tag_offset) {
    std::string_view s = src_;
    for (std::size_t i = s.find("{%", body); i != std::string::npos; i = s.find("{%", i + 1)) {
      std::size_t q = i + 2;
      char sign = 0;
      if (q < s.size() && (s[q] == '-' || s[q] == '+')) sign = s[q++];
      q = skip_ws(s, q);
      if (!starts(s, q, "endraw")) continue;
      q = skip_ws(s, q + 6);
      if (!(starts(s, q, "+%}") || starts(s, q, "-%}") || starts(s, q, "%}"))) continue;
      std::string_view text = apply_lstrip(s.substr(body, i - body), sign, '%', line_starting);
      emit_data(text, body);
      return after_block_end(q, '%');
    }
    fail(pos_at(tag_offset), "missing end of raw directive ({% endraw %})");
  }

  std::size_t lex_comment(std::size_t p, std::size_t tag_offset) {
    std::string_view s = src_;
    if (p >= s.size()) return p;  // jinja2 quirk: a bare `{#` at the very end is accepted
    std::size_t j = s.find("#}", p);
    if (j == std::string::npos) fail(pos_at(tag_offset), "missing end of comment tag");
    if (j > p && (s[j - 1] == '-' || s[j - 1] == '+')) return after_block_end(j - 1, '#');
    return after_block_end(j, '#');
  }

  std::size_t lex_tag(std::size_t p, bool block, std::size_t tag_offset) {
    std::string_view s = src_;
    push(block ? Tok::BlockBegin : Tok::VarBegin, tag_offset);
    std::string balance;  // expected closers of open brackets; ends are not ends inside them
    while (true) {
      if (p >= s.size()) fail(pos_at(tag_offset), std::string("unexpected end of template: missing ") + (block ? "'%}'" : "'}}'"));
      if (balance.empty()) {
        if (block) {
          if (starts(s, p, "+%}") || starts(s, p, "-%}") || starts(s, p, "%}")) {
            push(Tok::BlockEnd, p);
            return after_block_end(p, '%');
          }
        } else {
          if (starts(s, p, "-}}")) {
            push(Tok::VarEnd, p);
            return skip_ws(s, p + 3);
          }
          if (starts(s, p, "}}")) {
            push(Tok::VarEnd, p);
            return p + 2;
          }
        }
      }
      std::size_t len;
      if (is_ws_at(s, p, &len)) {
        p = skip_ws(s, p);
        continue;
      }
      unsigned char c = static_cast<unsigned char>(s[p]);
      if (std::isdigit(c)) {
        p = lex_number(p);
      } else if (std::isalpha(c) || c == '_') {
        std::size_t q = p;
        while (q < s.size() && (std::isalnum(static_cast<unsigned char>(s[q])) || s[q] == '_')) ++q;
        push(Tok::Name, p, std::string(s.substr(p, q - p)));
        p = q;
      } else if (c == '\'' || c == '"') {
        p = lex_string(p);
      } else {
        p = lex_operator(p, balance);
      }
    }
  }

  std::size_t lex_number(std::size_t p) {
    std::string_view s = src_;
    auto digits = [&](std::size_t q, auto is_digit) {  // (\d+_)*\d+ style run; returns end or npos
      std::size_t start = q;
      while (q < s.size()) {
        if (is_digit(s[q])) ++q;
        else if (s[q] == '_' && q > start && q + 1 < s.size() && is_digit(s[q + 1])) ++q;
        else break;
      }
      return q > start ? q : std::string::npos;
    };
    auto dec = [](char ch) { return ch >= '0' && ch <= '9'; };
    // float: digits ( (.digits)? e[+-]?digits | .digits )
    std::size_t q = digits(p, dec);
    std::size_t fend = std::string::npos;
    std::size_t frac = (q < s.size() && s[q] == '.') ? digits(q + 1, dec) : std::string::npos;
    std::size_t mant = frac != std::string::npos ? frac : q;
    if (mant < s.size() && (s[mant] == 'e' || s[mant] == 'E')) {
      std::size_t e = mant + 1;
      if (e < s.size() && (s[e] == '+' || s[e] == '-')) ++e;
      fend = digits(e, dec);
    }
    if (fend == std::string::npos && frac != std::string::npos) fend = frac;
    bool after_dot = p > 0 && s[p - 1] == '.';  // Jinja's (?<!\.): `x.0.1` is not a float
    if (fend != std::string::npos && !after_dot) {
      std::string clean;
      for (std::size_t i = p; i < fend; ++i)
        if (s[i] != '_') clean += s[i];
      Token t;
      t.type = Tok::Float;
      t.pos = pos_at(p);
      t.text = clean;
      parse_double(clean, &t.f);  // the grammar above is from_chars's, so it reads the whole
      tokens_.push_back(std::move(t));
      return fend;
    }
    // integer: 0b / 0o / 0x prefixes, [1-9](_?\d)*, or 0(_?0)*
    int base = 10;
    std::size_t start = p, end;
    if (s[p] == '0' && p + 1 < s.size() && std::strchr("bBoOxX", s[p + 1]) && s[p + 1] != '\0') {
      char b = static_cast<char>(std::tolower(static_cast<unsigned char>(s[p + 1])));
      base = b == 'b' ? 2 : b == 'o' ? 8 : 16;
      auto ok = [base](char ch) {
        if (base == 2) return ch == '0' || ch == '1';
        if (base == 8) return ch >= '0' && ch <= '7';
        return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
      };
      std::size_t r = p + 2;  // (_?d)+
      while (r < s.size()) {
        if (ok(s[r])) ++r;
        else if (s[r] == '_' && r + 1 < s.size() && ok(s[r + 1])) r += 2;
        else break;
      }
      if (r > p + 2) {
        start = p + 2;
        end = r;
      } else {
        base = 10;
        end = p + 1;  // just "0"
      }
    } else if (s[p] == '0') {
      end = p + 1;
      while (end < s.size() && (s[end] == '0' || (s[end] == '_' && end + 1 < s.size() && s[end + 1] == '0'))) ++end;
    } else {
      end = digits(p, dec);
    }
    std::string clean;
    for (std::size_t i = start; i < end; ++i)
      if (s[i] != '_') clean += s[i];
    Token t;
    t.type = Tok::Int;
    t.pos = pos_at(p);
    t.text = std::string(s.substr(p, end - p));
    auto res = std::from_chars(clean.data(), clean.data() + clean.size(), t.i, base);
    if (res.ec != std::errc()) fail(t.pos, "integer literal '" + t.text + "' does not fit in 64 bits (unsupported)");
    tokens_.push_back(std::move(t));
    return end;
  }

  // A string literal, decoded like Python's "unicode-escape" codec as Jinja does.
  std::size_t lex_string(std::size_t p) {
    std::string_view s = src_;
    char quote = s[p];
    std::size_t q = p + 1;
    while (q < s.size() && s[q] != quote) q += (s[q] == '\\') ? 2 : 1;
    if (q >= s.size()) fail(pos_at(p), "unterminated string literal");
    std::string_view body = s.substr(p + 1, q - p - 1);
    Token t;
    t.type = Tok::String;
    t.pos = pos_at(p);
    t.text = unescape(body, t.pos);
    tokens_.push_back(std::move(t));
    return q + 1;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  static std::string unescape(std::string_view b, Pos pos) {
    std::string out;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (b[i] != '\\') {
        out += b[i];
        continue;
      }
      if (i + 1 >= b.size()) fail(pos, "string literal ends with a lone backslash");
      char c = b[++i];
      switch (c) {
        case '\n': break;  // line continuation
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case 'x':
        case 'u':
        case 'U': {
          std::size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
          uint32_t v = 0;
          for (std::size_t k = 0; k < n; ++k) {
            int h = i + 1 + k < b.size() ? hex_value(b[i + 1 + k]) : -1;
            if (h < 0) fail(pos, std::string("truncated \\") + c + " escape in string literal");
            v = v * 16 + static_cast<uint32_t>(h);
          }
          i += n;
          if (v > 0x10FFFF) fail(pos, "\\U escape out of range in string literal");
          if (v >= 0xD800 && v <= 0xDFFF) fail(pos, "surrogate escape in string literal (unsupported)");
          unicode::append_utf8(out, v);
          break;
        }
        case 'N': fail(pos, "\\N{...} escapes in string literals are unsupported");
        default:
          if (c >= '0' && c <= '7') {
            uint32_t v = static_cast<uint32_t>(c - '0');
            for (int k = 0; k < 2 && i + 1 < b.size() && b[i + 1] >= '0' && b[i + 1] <= '7'; ++k)
              v = v * 8 + static_cast<uint32_t>(b[++i] - '0');
            unicode::append_utf8(out, v);
          } else if (static_cast<unsigned char>(c) >= 0x80) {
            // Python first writes the character as \xNN / \uNNNN / \UNNNNNNNN, so the
            // backslash escapes a backslash and the rest stays literal text.
            std::size_t len;
            char32_t cp = code_point_at(b, i, &len);
            char buf[16];
            if (cp < 0x100) std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
            else if (cp < 0x10000) std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
            else std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
            out += buf;
            i += len - 1;
          } else {
            out += '\\';
            out += c;
          }
      }
    }
    return out;
  }

  std::size_t lex_operator(std::size_t p, std::string& balance) {
    std::string_view s = src_;
    static const char* two[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : two)
      if (starts(s, p, op)) {
        push(Tok::Op, p, op);
        return p + 2;
      }
    char c = s[p];
    if (!std::strchr("+-/*%~[](){}><=.:|,;", c) || c == '\0') {
      std::size_t len;
      char32_t cp = code_point_at(s, p, &len);
      std::string shown;
      unicode::append_utf8(shown, cp);
      fail(pos_at(p), "unexpected character '" + shown + "' in tag" +
                          (cp >= 0x80 ? " (non-ASCII names are unsupported)" : ""));
    }
    if (c == '(') balance.push_back(')');
    if (c == '[') balance.push_back(']');
    if (c == '{') balance.push_back('}');
    if (c == ')' || c == ']' || c == '}') {
      if (balance.empty()) fail(pos_at(p), std::string("unexpected '") + c + "'");
      if (balance.back() != c) fail(pos_at(p), std::string("unexpected '") + c + "', expected '" + balance.back() + "'");
      balance.pop_back();
    }
    push(Tok::Op, p, std::string(1, c));
    return p + 1;
  }

  std::string src_;
  std::vector<std::size_t> line_starts_;
  std::size_t cur_offset_ = 0;
  uint32_t cur_line_ = 1, cur_col_ = 1;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex(std::string_view source) { return Lexer(source).run(); }

}  // namespace tern::chat
