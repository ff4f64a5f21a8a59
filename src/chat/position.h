// Where a construct sits in the template source, for error messages ("line 3, column 14").
#pragma once

#include <cstdint>
#include <string>

#include "tern/error.h"

namespace tern::chat {

struct Pos {
  uint32_t line = 0;  // 1-based; 0 = unknown
  uint32_t col = 0;   // 1-based, in code points
};

// Throws tern::Error "chat template: line L, column C: <message>".
[[noreturn]] inline void fail(Pos pos, const std::string& message) {
  if (pos.line == 0) throw Error("chat template: " + message);
  throw Error("chat template: line " + std::to_string(pos.line) + ", column " + std::to_string(pos.col) + ": " +
              message);
}

}  // namespace tern::chat
