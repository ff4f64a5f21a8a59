// What every builtin (filter, test, method, global) shares: the call it receives, the
// name -> function table row it is found by, binding the positional and keyword arguments
// to a Python-style parameter list, and Jinja's coercion of values to strings.
#pragma once

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "chat/value.h"

namespace tern::chat {

// One call of a filter, test or method: `v` is the filter's or test's operand, or the
// object a method is bound to; `name` is the name it was called by (aliases such as
// d / default share one function, and error messages say the name the template used).
struct BuiltinCall {
  Evaluator& ev;
  const std::string& name;
  const Value& v;
  CallArgs& args;
  Pos pos;

  Value str_result(std::string s) const;  // a string result, charged to the render's budget
};

// How a builtin's result gets its content marks (provenance.h).
enum class Marks {
  kDerived,  // a value computed from the inputs: wholly content if any input holds content
  kOwn,      // the function keeps them itself: it returns input values unchanged (first,
             // select, default, ...) or keeps marks byte for byte (trim, strip, join)
};

// A row of a builtin table: each table is the only place its names are written. New rows
// are kDerived unless they say otherwise, so a new filter can never launder content.
template <class Fn>
struct Named {
  std::string_view name;
  Fn fn;
  Marks marks = Marks::kDerived;
};
template <class Table>
auto find_named(const Table& table, std::string_view name) -> decltype(&*std::begin(table)) {
  for (const auto& row : table)
    if (row.name == name) return &row;
  return nullptr;
}

// A kDerived builtin's result: as_content(result) when v or an argument holds content.
Value derived_result(Value result, const Value& v, const CallArgs& args);

// Calls `row` (a row of a table above) with operand / bound object v.
template <class Row>
auto call_row(const Row& row, Evaluator& ev, const std::string& name, const Value& v, CallArgs& args, Pos pos) {
  auto result = row.fn(BuiltinCall{ev, name, v, args, pos});
  if constexpr (std::is_same_v<decltype(result), Value>) {
    if (row.marks == Marks::kDerived) return derived_result(std::move(result), v, args);
  }
  return result;
}

// Calls the row of `table` named `name`; `kind` ("filter", "test") names what is missing.
template <class Table>
auto call_named(const Table& table, const char* kind, Evaluator& ev, const std::string& name, const Value& v,
                CallArgs& args, Pos pos) {
  const auto* row = find_named(table, name);
  if (!row) fail(pos, std::string("unsupported ") + kind + " '" + name + "'");
  return call_row(*row, ev, name, v, args, pos);
}

// Binds a call's positional and keyword arguments to a Python-style parameter list; the
// constructor rejects extra positional and unknown keyword arguments, naming `fname`.
class Args {
 public:
  Args(CallArgs& a, Pos pos, std::string fname, std::vector<std::string> names);
  const Value* get(std::size_t i) const;  // nullptr when not passed
  Value value(std::size_t i, Value dflt) const;
  bool flag(std::size_t i, bool dflt) const;
  int64_t integer(std::size_t i, int64_t dflt) const;
  std::string string(std::size_t i, const std::string& dflt) const;
  Pos pos() const { return pos_; }

 private:
  CallArgs& a_;
  Pos pos_;
  std::string fname_;
  std::vector<std::string> names_;
};

// Jinja's str(v): strings as they are, everything else as to_str() prints it.
std::string soft_str(const Value& v);
// The same as a string value: v itself, or to_str(v) wholly content if v holds content.
Value soft_str_value(const Value& v);
// str.strip() / lstrip() / rstrip() of string value s (chars == nullptr: whitespace), as a
// string value that keeps s's marks on the bytes that remain.
Value strip_value(const BuiltinCall& c, const Value& s, const std::string* chars, bool left, bool right);
// sep.join(items) (items already strings or printed as {{ }} would) keeping every mark.
Value join_values(const BuiltinCall& c, const Value& sep, const std::vector<Value>& items);
// v itself when it is a string; otherwise an error naming `what` (undefined names say so).
const std::string& need_str(const Value& v, const char* what, Pos pos);

}  // namespace tern::chat
