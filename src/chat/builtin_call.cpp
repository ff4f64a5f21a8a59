// What the builtins share (see builtin_call.h).
#include "chat/builtin_call.h"

#include <algorithm>

#include "chat/evaluator.h"
#include "chat/unicode.h"

namespace tern::chat {

Value BuiltinCall::str_result(std::string s) const {
  ev.charge(s.size(), pos);
  return Value::string(std::move(s));
}

Args::Args(CallArgs& a, Pos pos, std::string fname, std::vector<std::string> names)
    : a_(a), pos_(pos), fname_(std::move(fname)), names_(std::move(names)) {
  if (a_.positional.size() > names_.size())
    fail(pos_, fname_ + "() takes at most " + std::to_string(names_.size()) + " arguments");
  for (const auto& [k, v] : a_.keyword)
    if (std::find(names_.begin(), names_.end(), k) == names_.end())
      fail(pos_, fname_ + "() got an unexpected keyword argument '" + k + "'");
}

const Value* Args::get(std::size_t i) const {
  if (i < a_.positional.size()) return &a_.positional[i];
  for (const auto& [k, v] : a_.keyword)
    if (k == names_[i]) return &v;
  return nullptr;
}

Value Args::value(std::size_t i, Value dflt) const {
  const Value* v = get(i);
  return v ? *v : dflt;
}

bool Args::flag(std::size_t i, bool dflt) const {
  const Value* v = get(i);
  return v ? truthy(*v) : dflt;
}

int64_t Args::integer(std::size_t i, int64_t dflt) const {
  const Value* v = get(i);
  if (!v || v->is_none()) return dflt;
  if (!v->is_int() && !v->is_bool()) fail(pos_, fname_ + "(): '" + names_[i] + "' must be an integer");
  return v->as_int();
}

std::string Args::string(std::size_t i, const std::string& dflt) const {
  const Value* v = get(i);
  if (!v) return dflt;
  if (!v->is_string()) fail(pos_, fname_ + "(): '" + names_[i] + "' must be a string, not " + type_name(*v));
  return v->str();
}

std::string soft_str(const Value& v) { return v.is_string() ? v.str() : to_str(v); }

Value derived_result(Value result, const Value& v, const CallArgs& args) {
  bool content = holds_content(v);
  for (const Value& x : args.positional) content = content || holds_content(x);
  for (const auto& [k, x] : args.keyword) content = content || holds_content(x);
  return content ? as_content(result) : result;
}

Value soft_str_value(const Value& v) {
  if (v.is_string()) return v;
  std::string s = to_str(v);
  Provenance marks = holds_content(v) ? Provenance::all(s.size()) : Provenance();
  return Value::string(std::move(s), std::move(marks));
}

Value strip_value(const BuiltinCall& c, const Value& s, const std::string* chars, bool left, bool right) {
  const std::string& text = s.str();
  std::string kept = unicode::strip(text, chars, left, right);
  // Stripping removes a prefix (what lstrip alone removes) and a suffix: kept is the
  // substring of text that starts where lstrip's result does.
  const std::size_t begin = left ? text.size() - unicode::strip(text, chars, true, false).size() : 0;
  c.ev.charge(kept.size(), c.pos);
  Provenance marks = s.marks().slice(begin, begin + kept.size());
  return Value::string(std::move(kept), std::move(marks));
}

Value join_values(const BuiltinCall& c, const Value& sep, const std::vector<Value>& items) {
  Output out;
  bool first = true;
  for (const Value& x : items) {
    if (!first) append_str(out.text, out.marks, sep);
    first = false;
    append_str(out.text, out.marks, x);
    c.ev.charge(out.text.size(), c.pos);
  }
  return to_value(std::move(out));
}

const std::string& need_str(const Value& v, const char* what, Pos pos) {
  if (v.is_undefined()) fail_undefined(v, pos);
  if (!v.is_string()) fail(pos, std::string(what) + " needs a string, not " + type_name(v));
  return v.str();
}

}  // namespace tern::chat
