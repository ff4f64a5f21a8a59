#include "tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tern/error.h"

namespace tern::tok {

// PCRE2's \s in UCP mode is tab..CR plus the Z categories; Rust's (and so tiktoken's and HF
// tokenizers') is Unicode White_Space, which also has U+0085 NEXT LINE.
std::string widen_whitespace_classes(const std::string& p) {
  std::string out;
  out.reserve(p.size() + 32);
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char e = p[i + 1];
      if (e == 's') {
        out += in_class ? "\\s\\x{85}" : "[\\s\\x{85}]";
      } else if (e == 'S' && !in_class) {
        out += "[^\\s\\x{85}]";
      } else {
        out += c;
        out += e;
      }
      ++i;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

struct PreTokenizer::Code {
  pcre2_code* re = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(re); }
};

PreTokenizer::PreTokenizer(const std::string& pattern, const std::string& what)
    : pattern_(widen_whitespace_classes(pattern)), code_(std::make_unique<Code>()) {
  int err = 0;
  PCRE2_SIZE err_off = 0;
  code_->re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(),
                            PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &err_off, nullptr);
  if (!code_->re) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw Error(what + ": pre-tokenizer regex rejected by PCRE2 at offset " + std::to_string(err_off) + ": " +
                reinterpret_cast<const char*>(msg) + " (pattern " + pattern + ")");
  }
  code_->jit = pcre2_jit_compile(code_->re, PCRE2_JIT_COMPLETE) == 0;
}

PreTokenizer::~PreTokenizer() = default;

void PreTokenizer::split(std::string_view text, const std::function<void(std::string_view)>& emit) const {
  if (text.empty()) return;
  struct MatchData {
    pcre2_match_data* md;
    explicit MatchData(const pcre2_code* re) : md(pcre2_match_data_create_from_pattern(re, nullptr)) {}
    ~MatchData() { pcre2_match_data_free(md); }
  } m(code_->re);
  if (!m.md) throw Error("pre-tokenizer: out of memory");
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t options = code_->jit ? 0 : PCRE2_NO_JIT;
    int rc = pcre2_match(code_->re, subject, text.size(), pos, options, m.md, nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)  // very long pre-token: the interpreter has no such limit
      rc = pcre2_match(code_->re, subject, text.size(), pos, PCRE2_NO_JIT, m.md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      throw Error(std::string("pre-tokenizer: PCRE2 match failed: ") + reinterpret_cast<const char*>(msg));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(m.md);
    size_t start = ov[0], end = ov[1];
    if (start > pos) emit(text.substr(pos, start - pos));  // a gap (invalid UTF-8)
    if (end == start) {
      // An empty match (a pattern that allows one): step over one byte so we progress.
      end = start + 1;
      emit(text.substr(start, 1));
    } else {
      emit(text.substr(start, end - start));
    }
    pos = end;
  }
  if (pos < text.size()) emit(text.substr(pos));
}

}  // namespace tern::tok
