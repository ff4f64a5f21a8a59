// Tokens -> syntax tree, following jinja2/parser.py's grammar and precedence:
//   condexpr: or ['if' or ['else' condexpr]]     or: and ('or' and)*     and: not ('and' not)*
//   not: 'not' not | compare                     compare: math1 (op math1)*  (==, !=, <, <=, >, >=, in, not in)
//   math1: concat (('+'|'-') concat)*            concat: math2 ('~' math2)*
//   math2: pow (('*'|'/'|'//'|'%') pow)*         pow: unary ('**' unary)*
//   unary: ('-'|'+') unary | primary postfix* (filter | test | call)*
// Unknown tags, filters and tests are rejected here, with their position.
#pragma once

#include <vector>

#include "chat/ast.h"
#include "chat/lexer.h"

namespace tern::chat {

// max_depth bounds the nesting of blocks and expressions (hostile templates cannot
// overflow the stack, here or in the evaluator).
Body parse(const std::vector<Token>& tokens, int max_depth);

}  // namespace tern::chat
