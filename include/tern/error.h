// tern::Error: the one exception type for bad input and failed operations.
// Messages name the thing: "model.gguf: tensor 'blk.3.ffn_up.weight': data offset ... exceeds ...".
#pragma once

#include <stdexcept>
#include <string>

namespace tern {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace tern
