// Jinja's tests (`x is name(args)`), following jinja2/tests.py: one function per test and
// one table, k_tests, the only place a test's name is written.
#include <array>
#include <cmath>
#include <string_view>

#include "chat/builtin_call.h"
#include "chat/builtins.h"
#include "chat/evaluator.h"
#include "chat/unicode.h"

namespace tern::chat {

namespace {

using TestFn = bool (*)(const BuiltinCall&);

// The one argument of the tests that compare v with something.
const Value& other_arg(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"other"});
  const Value* other = a.get(0);
  if (!other) fail(c.pos, "test '" + c.name + "' needs an argument");
  return *other;
}

// lt / le / gt / ge: Python's ordering, which an undefined value has none of.
int compare_with_other(const BuiltinCall& c) {
  const Value& other = other_arg(c);
  if (c.v.is_undefined()) fail_undefined(c.v, c.pos);
  return compare(c.v, other, c.pos);
}

bool odd_or_even(const BuiltinCall& c, bool want_odd) {
  Args a(c.args, c.pos, c.name, {"other"});
  if (!c.v.is_int() && !c.v.is_bool()) fail(c.pos, "test '" + c.name + "' needs an integer, not " + type_name(c.v));
  bool odd = (c.v.as_int() % 2) != 0;
  return want_odd ? odd : !odd;
}

bool divisible_by(const BuiltinCall& c) {
  const Value& other = other_arg(c);
  if (!c.v.is_number() || !other.is_number()) fail(c.pos, "divisibleby needs numbers");
  if (other.as_double() == 0) fail(c.pos, "divisibleby: division by zero");
  if (!c.v.is_float() && !other.is_float()) return c.v.as_int() % other.as_int() == 0;
  return std::fmod(c.v.as_double(), other.as_double()) == 0;
}

bool contained_in(const BuiltinCall& c) {
  const Value& other = other_arg(c);
  if (other.is_string()) return c.v.is_string() && other.str().find(c.v.str()) != std::string::npos;
  if (other.is_list()) {
    for (const Value& x : other.items())
      if (equals(x, c.v)) return true;
    return false;
  }
  if (other.is_dict()) return other.find(c.v) != nullptr;
  fail(c.pos, "argument of type '" + type_name(other) + "' is not iterable");
}

bool is_iterable(const BuiltinCall& c) { return c.v.is_string() || c.v.is_list() || c.v.is_dict() || c.v.is_undefined(); }

using Test = Named<TestFn>;
const std::array k_tests{
    Test{"defined", [](const BuiltinCall& c) { return !c.v.is_undefined(); }},
    Test{"undefined", [](const BuiltinCall& c) { return c.v.is_undefined(); }},
    Test{"none", [](const BuiltinCall& c) { return c.v.is_none(); }},
    Test{"boolean", [](const BuiltinCall& c) { return c.v.is_bool(); }},
    Test{"false", [](const BuiltinCall& c) { return c.v.is_bool() && !c.v.as_bool(); }},
    Test{"true", [](const BuiltinCall& c) { return c.v.is_bool() && c.v.as_bool(); }},
    Test{"integer", [](const BuiltinCall& c) { return c.v.is_int(); }},
    Test{"float", [](const BuiltinCall& c) { return c.v.is_float(); }},
    Test{"number", [](const BuiltinCall& c) { return c.v.is_number(); }},
    Test{"string", [](const BuiltinCall& c) { return c.v.is_string(); }},
    Test{"mapping", [](const BuiltinCall& c) { return c.v.is_dict(); }},
    Test{"iterable", is_iterable},
    Test{"sequence", is_iterable},
    Test{"callable", [](const BuiltinCall& c) { return c.v.is_callable(); }},
    Test{"sameas",
         [](const BuiltinCall& c) {
           const Value& other = other_arg(c);
           return c.v.same_object(other) && c.v.kind() == other.kind();
         }},
    Test{"odd", [](const BuiltinCall& c) { return odd_or_even(c, true); }},
    Test{"even", [](const BuiltinCall& c) { return odd_or_even(c, false); }},
    Test{"divisibleby", divisible_by},
    // str(value).islower() / isupper(), with Python's definition (unicode.h).
    Test{"lower", [](const BuiltinCall& c) { return unicode::islower(soft_str(c.v)); }},
    Test{"upper", [](const BuiltinCall& c) { return unicode::isupper(soft_str(c.v)); }},
    Test{"eq", [](const BuiltinCall& c) { return equals(c.v, other_arg(c)); }},
    Test{"equalto", [](const BuiltinCall& c) { return equals(c.v, other_arg(c)); }},
    Test{"ne", [](const BuiltinCall& c) { return !equals(c.v, other_arg(c)); }},
    Test{"lt", [](const BuiltinCall& c) { return compare_with_other(c) < 0; }},
    Test{"lessthan", [](const BuiltinCall& c) { return compare_with_other(c) < 0; }},
    Test{"le", [](const BuiltinCall& c) { return compare_with_other(c) <= 0; }},
    Test{"gt", [](const BuiltinCall& c) { return compare_with_other(c) > 0; }},
    Test{"greaterthan", [](const BuiltinCall& c) { return compare_with_other(c) > 0; }},
    Test{"ge", [](const BuiltinCall& c) { return compare_with_other(c) >= 0; }},
    Test{"in", contained_in},
};

}  // namespace

bool is_known_test(std::string_view name) { return find_named(k_tests, name) != nullptr; }

bool apply_test(Evaluator& ev, const std::string& name, const Value& v, CallArgs& args, Pos pos) {
  return call_named(k_tests, "test", ev, name, v, args, pos);
}

}  // namespace tern::chat
