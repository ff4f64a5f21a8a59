// The syntax tree of a parsed template. One generic node type per family keeps the
// parser and evaluator short; each kind below says which fields it uses.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/position.h"
#include "chat/value.h"

namespace tern::chat {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  Const,     // value
  Name,      // name
  List,      // args = items
  Tuple,     // args = items
  Dict,      // args = k0, v0, k1, v1, ...
  Getattr,   // args[0] = object, name = attribute
  Getitem,   // args[0] = object, args[1] = index (may be a Slice)
  Slice,     // args = start, stop, step (null = omitted)
  Call,      // args[0] = callee, args[1..] = positional, kwargs
  Filter,    // args[0] = operand (null inside {% filter %}), name, args[1..] + kwargs = arguments
  Test,      // args[0] = operand, name, args[1..] + kwargs = arguments
  Unary,     // name = "-", "+" or "not"; args[0]
  Binary,    // name = operator ("+", "-", "*", "/", "//", "%", "**", "~", "and", "or"); args[0], args[1]
  Compare,   // args[0] = first operand; ops[i] applies args[i+1]
  CondExpr,  // args = test, then, else (else null = undefined)
};

struct Expr {
  ExprKind kind = ExprKind::Const;
  Pos pos;
  std::string name;
  Value value;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class StmtKind {
  Data,         // text
  Print,        // expr
  If,           // expr = test, body, else_body (elif = an If alone in else_body)
  For,          // targets (names), expr = iterable, filter = `if` clause, body, else_body
  Set,          // targets (names; or one name + attr for ns.attr), expr
  SetBlock,     // targets as Set, filter = filter chain on the captured text (may be null), body
  Macro,        // targets[0] = name, params, defaults (aligned to the last params), body
  FilterBlock,  // filter = filter chain (operand null), body
  With,         // params = names, defaults = values, body
  Break,
  Continue,
};

struct Stmt {
  StmtKind kind = StmtKind::Data;
  Pos pos;
  std::string text;
  std::vector<std::string> targets;
  bool tuple_target = false;
  std::string attr;  // Set: namespace attribute
  ExprPtr expr;
  ExprPtr filter;
  Body body, else_body;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;
};

}  // namespace tern::chat
