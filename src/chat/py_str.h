// Python's str algorithms that more than one kind of builtin uses (the replace filter and
// str.replace, the indent filter and str.splitlines), over UTF-8 with code-point semantics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chat/value.h"

namespace tern::chat {

// Python str.replace(old, new, count); charges the evaluator for the text it builds.
std::string py_replace(const std::string& s, const std::string& old, const std::string& repl, int64_t count,
                       Evaluator& ev, Pos pos);
// Python str.split(sep=None, maxsplit=-1) and rsplit (from_right).
std::vector<Value> py_split(const std::string& s, const Value* sep, int64_t maxsplit, bool from_right, Pos pos);
// Python str.splitlines() (keepends=False).
std::vector<std::string> py_splitlines(const std::string& s);

}  // namespace tern::chat
