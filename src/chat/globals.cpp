// The globals transformers gives every chat template (range, namespace, dict,
// raise_exception, strftime_now); filters, tests and methods live in filters.cpp,
// jinja_tests.cpp and methods.cpp.
#include <ctime>

#include "chat/builtin_call.h"
#include "chat/builtins.h"
#include "chat/evaluator.h"
#include "platform/local_time.h"

namespace tern::chat {

void add_globals(std::vector<std::pair<std::string, Value>>& vars) {
  vars.emplace_back("range", Value::callable("range", [](Evaluator& ev, CallArgs& args, Pos pos) -> Value {
    if (!args.keyword.empty()) fail(pos, "range() takes no keyword arguments");
    std::vector<int64_t> n;
    for (const Value& v : args.positional) {
      if (!v.is_int() && !v.is_bool()) fail(pos, "range() arguments must be integers, not " + type_name(v));
      n.push_back(v.as_int());
    }
    if (n.empty() || n.size() > 3) fail(pos, "range() takes 1 to 3 arguments");
    int64_t start = n.size() == 1 ? 0 : n[0], stop = n.size() == 1 ? n[0] : n[1], step = n.size() == 3 ? n[2] : 1;
    if (step == 0) fail(pos, "range() step must not be zero");
    // Length without overflow, as Python computes it.
    long double len = step > 0 ? (static_cast<long double>(stop) - start + step - 1) / step
                               : (static_cast<long double>(start) - stop - step - 1) / -step;
    if (len < 0) len = 0;
    if (len > static_cast<long double>(ev.limits().max_range))
      fail(pos, "range() of more than " + std::to_string(ev.limits().max_range) + " items (unsupported, as in jinja2's sandbox)");
    std::vector<Value> out;
    ev.charge(static_cast<std::size_t>(len) * 8, pos);
    for (int64_t i = 0, x = start; i < static_cast<int64_t>(len); ++i, x += step) out.push_back(Value::integer(x));
    return Value::list(std::move(out));
  }));
  vars.emplace_back("namespace", Value::callable("namespace", [](Evaluator& ev, CallArgs& args, Pos pos) -> Value {
    Value ns = Value::make_namespace();
    ev.track_namespace(ns);
    for (const Value& init : args.positional) {
      if (!init.is_dict()) fail(pos, "namespace() positional arguments must be dicts");
      for (const auto& [k, v] : init.entries()) {
        ns.ns().set(soft_str(k), v);
        if (holds_content(k)) ns.ns().names_from_content = true;
      }
    }
    for (const auto& [k, v] : args.keyword) ns.ns().set(k, v);
    return ns;
  }));
  vars.emplace_back("dict", Value::callable("dict", [](Evaluator&, CallArgs& args, Pos pos) -> Value {
    std::vector<std::pair<Value, Value>> items;
    for (const Value& init : args.positional) {
      if (!init.is_dict()) fail(pos, "dict() positional arguments must be dicts");
      items = init.entries();
    }
    for (const auto& [k, v] : args.keyword) {
      bool replaced = false;
      for (auto& kv : items)
        if (kv.first.is_string() && kv.first.str() == k) {
          kv.second = v;
          replaced = true;
        }
      if (!replaced) items.emplace_back(Value::string(k), v);
    }
    return Value::dict(std::move(items));
  }));
  vars.emplace_back("raise_exception", Value::callable("raise_exception", [](Evaluator&, CallArgs& args, Pos pos) -> Value {
    std::string msg = args.positional.empty() ? std::string() : soft_str(args.positional[0]);
    fail(pos, "the template raised an exception: " + msg);
  }));
  vars.emplace_back("strftime_now", Value::callable("strftime_now", [](Evaluator&, CallArgs& args, Pos pos) -> Value {
    if (args.positional.size() != 1 || !args.positional[0].is_string()) fail(pos, "strftime_now() needs a format string");
    const std::tm tm = local_time(std::time(nullptr));
    char buf[512];
    std::size_t n = std::strftime(buf, sizeof buf, args.positional[0].str().c_str(), &tm);
    if (n == 0 && !args.positional[0].str().empty()) fail(pos, "strftime_now(): format too long or empty result");
    return Value::string(std::string(buf, n));
  }));
}

}  // namespace tern::chat
