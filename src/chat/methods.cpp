// The methods of str and dict a template can call (`s.strip()`, `d.items()`), following
// Python's: one function per method and one table per type, the only place a method's
// name is written.
#include <array>
#include <string_view>

#include "chat/builtin_call.h"
#include "chat/builtins.h"
#include "chat/evaluator.h"
#include "chat/py_str.h"
#include "chat/unicode.h"

namespace tern::chat {

namespace {

using MethodFn = Value (*)(const BuiltinCall&);

bool starts_or_ends(const std::string& s, const Value& what, bool start, Pos pos) {
  auto one = [&](const Value& p) {
    const std::string& x = need_str(p, start ? "startswith()" : "endswith()", pos);
    if (x.size() > s.size()) return false;
    return start ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (what.is_list() && what.is_tuple()) {
    for (const Value& p : what.items())
      if (one(p)) return true;
    return false;
  }
  return one(what);
}

// strip / lstrip / rstrip.
template <bool Left, bool Right>
Value strip(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"chars"});
  const Value* chars = a.get(0);
  bool has = chars && !chars->is_none();
  std::string set = has ? need_str(*chars, c.name.c_str(), c.pos) : std::string();
  return strip_value(c, c.v, has ? &set : nullptr, Left, Right);
}

// split / rsplit.
template <bool FromRight>
Value split(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"sep", "maxsplit"});
  const std::string& s = c.v.str();
  std::vector<Value> parts = py_split(s, a.get(0), a.integer(1, -1), FromRight, c.pos);
  c.ev.charge(s.size() + parts.size() * 8, c.pos);
  return Value::list(std::move(parts));
}

Value splitlines(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  std::vector<Value> out;
  for (auto& l : py_splitlines(c.v.str())) out.push_back(Value::string(std::move(l)));
  return Value::list(std::move(out));
}

// startswith / endswith.
template <bool Start>
Value starts_or_ends_with(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"prefix"});
  if (!a.get(0)) fail(c.pos, c.name + "() needs an argument");
  return Value::boolean(starts_or_ends(c.v.str(), *a.get(0), Start, c.pos));
}

// upper / lower / title / capitalize: Python's str methods (title is str.title here, not
// Jinja's title filter).
template <std::string (*Fn)(std::string_view)>
Value case_method(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  return c.str_result(Fn(c.v.str()));
}

Value replace(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"old", "new", "count"});
  if (!a.get(0) || !a.get(1)) fail(c.pos, "replace() needs 'old' and 'new'");
  return c.str_result(py_replace(c.v.str(), need_str(*a.get(0), "replace()", c.pos),
                                 need_str(*a.get(1), "replace()", c.pos), a.integer(2, -1), c.ev, c.pos));
}

const std::string& sub_arg(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"sub"});
  if (!a.get(0)) fail(c.pos, c.name + "() needs an argument");
  return need_str(*a.get(0), c.name.c_str(), c.pos);
}

Value find(const BuiltinCall& c) {
  const std::string& s = c.v.str();
  std::size_t j = s.find(sub_arg(c));
  return Value::integer(j == std::string::npos ? -1 : static_cast<int64_t>(unicode::length(s.substr(0, j))));
}

Value count(const BuiltinCall& c) {
  const std::string& s = c.v.str();
  const std::string& sub = sub_arg(c);
  if (sub.empty()) return Value::integer(static_cast<int64_t>(unicode::length(s)) + 1);
  int64_t n = 0;
  for (std::size_t j = s.find(sub); j != std::string::npos; j = s.find(sub, j + sub.size())) ++n;
  return Value::integer(n);
}

Value join(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"iterable"});
  if (!a.get(0)) fail(c.pos, "join() needs an argument");
  std::vector<Value> items = c.ev.iterate(*a.get(0), c.pos);
  for (const Value& x : items) need_str(x, "join()", c.pos);
  return join_values(c, c.v, items);
}

// isdigit / isspace / isalpha / isalnum, with Python's definitions (unicode.h).
template <bool (*Fn)(std::string_view)>
Value predicate(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  return Value::boolean(Fn(c.v.str()));
}

Value dict_get(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"key", "default"});
  if (!a.get(0)) fail(c.pos, "get() needs a key");
  const Value* found = c.v.find(*a.get(0));
  return found ? *found : a.value(1, Value::none());
}

enum class Part { kItems, kKeys, kValues };
template <Part P>
Value dict_view(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  std::vector<Value> out;
  for (const auto& [k, x] : c.v.entries()) {
    if (P == Part::kItems) out.push_back(Value::list({k, x}, true));
    else out.push_back(P == Part::kKeys ? k : x);
  }
  return Value::list(std::move(out));
}

using Method = Named<MethodFn>;
// kOwn: see k_filters; the others build new values (kDerived).
const std::array k_str_methods{
    Method{"strip", strip<true, true>, Marks::kOwn},
    Method{"lstrip", strip<true, false>, Marks::kOwn},
    Method{"rstrip", strip<false, true>, Marks::kOwn},
    Method{"split", split<false>},
    Method{"rsplit", split<true>},
    Method{"startswith", starts_or_ends_with<true>},
    Method{"endswith", starts_or_ends_with<false>},
    Method{"upper", case_method<unicode::upper>},
    Method{"lower", case_method<unicode::lower>},
    Method{"title", case_method<unicode::title>},
    Method{"capitalize", case_method<unicode::capitalize>},
    Method{"replace", replace},
    Method{"find", find},
    Method{"count", count},
    Method{"join", join, Marks::kOwn},
    Method{"splitlines", splitlines},
    Method{"isdigit", predicate<unicode::isdigit>},
    Method{"isspace", predicate<unicode::isspace>},
    Method{"isalpha", predicate<unicode::isalpha>},
    Method{"isalnum", predicate<unicode::isalnum>},
};
const std::array k_dict_methods{
    Method{"get", dict_get, Marks::kOwn},
    Method{"items", dict_view<Part::kItems>, Marks::kOwn},
    Method{"keys", dict_view<Part::kKeys>, Marks::kOwn},
    Method{"values", dict_view<Part::kValues>, Marks::kOwn},
};

}  // namespace

Value bound_method(const Value& obj, const std::string& name) {
  const Method* m = obj.is_string() ? find_named(k_str_methods, name)
                    : obj.is_dict() ? find_named(k_dict_methods, name)
                                    : nullptr;
  if (!m) return Value::undefined(name);
  const Method row = *m;
  Value self = obj;
  return Value::callable(name, [self, name, row](Evaluator& ev, CallArgs& args, Pos pos) -> Value {
    return call_row(row, ev, name, self, args, pos);
  });
}

}  // namespace tern::chat
