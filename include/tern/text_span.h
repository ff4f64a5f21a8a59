// A byte range [begin, end) of a text. A chat render uses a sorted list of them to say which
// of its bytes came from the caller's messages, so the tokenizer can keep special-token text
// there as ordinary text (see Tokenizer::encode_marked, ChatTemplate::render_marked).
#pragma once

#include <cstddef>

namespace tern {

struct TextSpan {
  std::size_t begin = 0, end = 0;
  friend bool operator==(const TextSpan&, const TextSpan&) = default;
};

}  // namespace tern
