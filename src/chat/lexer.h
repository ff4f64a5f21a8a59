// Template source -> tokens, with Jinja2's exact whitespace rules as transformers configures
// them (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False):
//  - newlines (\r\n, \r, \n) become \n and one trailing newline is dropped;
//  - `{%-`, `{{-`, `{#-` strip all whitespace before the tag; `-%}`, `-}}`, `-#}` after it;
//  - trim_blocks: the first \n after `%}` or `#}` is dropped (not after `}}`; `+%}` keeps it);
//  - lstrip_blocks: spaces before `{%` / `{#` on their line are dropped (`{%+` keeps them);
//  - {% raw %}...{% endraw %} becomes plain text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chat/position.h"

namespace tern::chat {

enum class Tok { Data, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof };

struct Token {
  Tok type = Tok::Eof;
  std::string text;  // Data text, Name, decoded String, or the operator ("==", "(", ...)
  int64_t i = 0;     // Int
  double f = 0;      // Float
  Pos pos;
};

// Throws tern::Error naming line and column on malformed input (unterminated tags,
// unexpected characters, bad escapes).
std::vector<Token> lex(std::string_view source);

}  // namespace tern::chat
