// The filters, tests, methods and global functions a template can call. Their semantics
// are Jinja2's (filters, tests), Python's (str / dict methods) and transformers'
// (tojson, raise_exception, strftime_now). One file each: filters.cpp, jinja_tests.cpp,
// methods.cpp, globals.cpp; each holds the table that is the only list of its names.
#pragma once

#include <string>
#include <string_view>

#include "chat/value.h"

namespace tern::chat {

bool is_known_filter(std::string_view name);
bool is_known_test(std::string_view name);

Value apply_filter(Evaluator& ev, const std::string& name, const Value& operand, CallArgs& args, Pos pos);
bool apply_test(Evaluator& ev, const std::string& name, const Value& operand, CallArgs& args, Pos pos);

// `obj.name` when obj is a str / dict / list and name is one of its supported methods:
// a callable bound to obj; otherwise an undefined Value.
Value bound_method(const Value& obj, const std::string& name);

// The globals every render sees: range, namespace, dict, raise_exception, strftime_now.
void add_globals(std::vector<std::pair<std::string, Value>>& vars);

}  // namespace tern::chat
