// The regex pre-tokenizer of byte-level BPE (HF "Split" with behavior Isolated): the text
// is cut into the regex's matches and the gaps between them, each a separate pre-token.
// PCRE2 in UTF + UCP mode with JIT; invalid UTF-8 never matches (PCRE2_MATCH_INVALID_UTF),
// so runs of invalid bytes fall into gaps and become pre-tokens of their own.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace tern::tok {

class PreTokenizer {
 public:
  // Compiles `pattern` (the Rust-regex syntax HF tokenizers use; \s is widened to Rust's
  // Unicode White_Space set, which PCRE2 lacks U+0085 of). Throws tern::Error naming
  // `what` and the position on a pattern PCRE2 rejects.
  PreTokenizer(const std::string& pattern, const std::string& what);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Calls `emit` with each pre-token of `text`, in order; they concatenate to `text`.
  void split(std::string_view text, const std::function<void(std::string_view)>& emit) const;

  // The pattern after the \s rewrite (for tests and error messages).
  const std::string& pcre_pattern() const { return pattern_; }

 private:
  struct Code;
  std::string pattern_;
  std::unique_ptr<Code> code_;
};

// Rewrites Rust-regex \s / \S into classes that include U+0085 (exposed for tests).
std::string widen_whitespace_classes(const std::string& pattern);

}  // namespace tern::tok
