// Walks the syntax tree and renders text. Scoping follows Jinja2: a for-loop iteration,
// a macro call and {% with %} get their own scope; `if` does not; {% set %} writes the
// innermost scope (which is why templates carry state out of loops in a namespace()).
// Every step is counted and every string sized, so hostile templates stop with an error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/ast.h"
#include "chat/value.h"
#include "tern/chat_template.h"

namespace tern::chat {

struct Scope {
  std::vector<std::pair<std::string, Value>> vars;
  std::shared_ptr<Scope> parent;

  const Value* find(const std::string& name) const;
  void set(const std::string& name, Value v);
};
using ScopePtr = std::shared_ptr<Scope>;

// Rendered text and which of its bytes are content (provenance.h).
struct Output {
  std::string text;
  std::vector<TextSpan> marks;
};

class Evaluator {
 public:
  explicit Evaluator(const ChatTemplateLimits& limits) : limits_(limits) {}
  ~Evaluator();

  // Renders `body` with the given top-level variables (globals are added).
  Output render(const Body& body, std::vector<std::pair<std::string, Value>> context);

  Value eval(const Expr& e, const ScopePtr& scope);
  Value call(const Value& callee, CallArgs& args, Pos pos);

  // One unit of work, plus one per 64 bytes of any string or list being built; fails
  // past the limits (output size, steps).
  void charge(std::size_t bytes, Pos pos);
  const ChatTemplateLimits& limits() const { return limits_; }
  // Namespaces are the only objects that can refer to themselves; render() breaks such
  // cycles at the end so nothing leaks.
  void track_namespace(const Value& ns) { namespaces_.push_back(ns); }
  // Python iteration: list items, dict keys, string characters; Undefined is empty.
  std::vector<Value> iterate(const Value& v, Pos pos);

 private:
  enum class Flow { Normal, Break, Continue };
  Flow exec(const Body& body, const ScopePtr& scope, Output& out);
  Flow exec_for(const Stmt& s, const ScopePtr& scope, Output& out);
  void assign(const Stmt& s, const ScopePtr& scope, Value v);
  Value make_macro(const Stmt& s, const ScopePtr& scope);
  Value eval_filter(const Expr& e, const ScopePtr& scope, const Value* operand);
  Value eval_getattr(const Value& obj, const std::string& name, Pos pos);
  Value eval_getitem(const Value& obj, const Value& key, Pos pos);
  Value eval_slice(const Value& obj, const Expr& slice, const ScopePtr& scope);
  Value eval_binary(const Expr& e, const ScopePtr& scope);
  bool eval_compare(const std::string& op, const Value& a, const Value& b, Pos pos);
  void append(Output& out, const Value& v, Pos pos);  // {{ v }}: str(v), its marks kept
  void append_text(Output& out, std::string_view text, Pos pos);  // the template's own text

  ChatTemplateLimits limits_;
  uint64_t steps_ = 0;
  int call_depth_ = 0;
  std::vector<Value> namespaces_;
};

// Appends str(v) to text (Jinja's {{ v }} / `~`), and its content marks to `marks`: a
// string's own, or every byte when v is another value holding content.
void append_str(std::string& text, std::vector<TextSpan>& marks, const Value& v);
// The captured output of a block or macro as a string value.
Value to_value(Output out);

// Fails with "'name' is undefined" style messages (Jinja's UndefinedError).
[[noreturn]] void fail_undefined(const Value& v, Pos pos);

}  // namespace tern::chat
