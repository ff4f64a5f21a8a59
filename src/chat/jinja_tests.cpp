// Jinja's tests (`x is name(args)`), following jinja2/tests.py: one function per test and
// one table, k_tests, the only place a test's name is written.
#include <array>
#include <cmath>
#include <string_view>

#include "chat/bind_args.h"
#include "chat/builtins.h"
#include "chat/evaluator.h"
#include "chat/unicode.h"

namespace tern::chat {

namespace {

struct TestCall {
  Evaluator& ev;
  const std::string& name;
  const Value& v;
  CallArgs& args;
  Pos pos;
};
using TestFn = bool (*)(const TestCall&);

// The one argument of the tests that compare v with something.
const Value& other_arg(const TestCall& c) {
  Args a(c.args, c.pos, c.name, {"other"});
  const Value* other = a.get(0);
  if (!other) fail(c.pos, "test '" + c.name + "' needs an argument");
  return *other;
}

// lt / le / gt / ge: Python's ordering, which an undefined value has none of.
int compare_with_other(const TestCall& c) {
  const Value& other = other_arg(c);
  if (c.v.is_undefined()) fail_undefined(c.v, c.pos);
  return compare(c.v, other, c.pos);
}

bool odd_or_even(const TestCall& c, bool want_odd) {
  Args a(c.args, c.pos, c.name, {"other"});
  if (!c.v.is_int() && !c.v.is_bool()) fail(c.pos, "test '" + c.name + "' needs an integer, not " + type_name(c.v));
  bool odd = (c.v.as_int() % 2) != 0;
  return want_odd ? odd : !odd;
}

bool divisible_by(const TestCall& c) {
  const Value& other = other_arg(c);
  if (!c.v.is_number() || !other.is_number()) fail(c.pos, "divisibleby needs numbers");
  if (other.as_double() == 0) fail(c.pos, "divisibleby: division by zero");
  if (!c.v.is_float() && !other.is_float()) return c.v.as_int() % other.as_int() == 0;
  return std::fmod(c.v.as_double(), other.as_double()) == 0;
}

bool contained_in(const TestCall& c) {
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

bool is_iterable(const TestCall& c) { return c.v.is_string() || c.v.is_list() || c.v.is_dict() || c.v.is_undefined(); }

struct Test {
  std::string_view name;
  TestFn fn;
};
const std::array k_tests{
    Test{"defined", [](const TestCall& c) { return !c.v.is_undefined(); }},
    Test{"undefined", [](const TestCall& c) { return c.v.is_undefined(); }},
    Test{"none", [](const TestCall& c) { return c.v.is_none(); }},
    Test{"boolean", [](const TestCall& c) { return c.v.is_bool(); }},
    Test{"false", [](const TestCall& c) { return c.v.is_bool() && !c.v.as_bool(); }},
    Test{"true", [](const TestCall& c) { return c.v.is_bool() && c.v.as_bool(); }},
    Test{"integer", [](const TestCall& c) { return c.v.is_int(); }},
    Test{"float", [](const TestCall& c) { return c.v.is_float(); }},
    Test{"number", [](const TestCall& c) { return c.v.is_number(); }},
    Test{"string", [](const TestCall& c) { return c.v.is_string(); }},
    Test{"mapping", [](const TestCall& c) { return c.v.is_dict(); }},
    Test{"iterable", is_iterable},
    Test{"sequence", is_iterable},
    Test{"callable", [](const TestCall& c) { return c.v.is_callable(); }},
    Test{"sameas",
         [](const TestCall& c) {
           const Value& other = other_arg(c);
           return c.v.same_object(other) && c.v.kind() == other.kind();
         }},
    Test{"odd", [](const TestCall& c) { return odd_or_even(c, true); }},
    Test{"even", [](const TestCall& c) { return odd_or_even(c, false); }},
    Test{"divisibleby", divisible_by},
    // str(value).islower() / isupper(), with Python's definition (unicode.h).
    Test{"lower", [](const TestCall& c) { return unicode::islower(soft_str(c.v)); }},
    Test{"upper", [](const TestCall& c) { return unicode::isupper(soft_str(c.v)); }},
    Test{"eq", [](const TestCall& c) { return equals(c.v, other_arg(c)); }},
    Test{"equalto", [](const TestCall& c) { return equals(c.v, other_arg(c)); }},
    Test{"ne", [](const TestCall& c) { return !equals(c.v, other_arg(c)); }},
    Test{"lt", [](const TestCall& c) { return compare_with_other(c) < 0; }},
    Test{"lessthan", [](const TestCall& c) { return compare_with_other(c) < 0; }},
    Test{"le", [](const TestCall& c) { return compare_with_other(c) <= 0; }},
    Test{"gt", [](const TestCall& c) { return compare_with_other(c) > 0; }},
    Test{"greaterthan", [](const TestCall& c) { return compare_with_other(c) > 0; }},
    Test{"ge", [](const TestCall& c) { return compare_with_other(c) >= 0; }},
    Test{"in", contained_in},
};

const Test* find_test(std::string_view name) {
  for (const Test& t : k_tests)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace

bool is_known_test(std::string_view name) { return find_test(name) != nullptr; }

bool apply_test(Evaluator& ev, const std::string& name, const Value& v, CallArgs& args, Pos pos) {
  const Test* t = find_test(name);
  if (!t) fail(pos, "unsupported test '" + name + "'");
  return t->fn(TestCall{ev, name, v, args, pos});
}

}  // namespace tern::chat
