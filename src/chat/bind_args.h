// What every builtin (filter, test, method, global) does with its call: bind the
// positional and keyword arguments to a Python-style parameter list, and coerce values to
// strings as Jinja does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chat/value.h"

namespace tern::chat {

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
// v itself when it is a string; otherwise an error naming `what` (undefined names say so).
const std::string& need_str(const Value& v, const char* what, Pos pos);

}  // namespace tern::chat
