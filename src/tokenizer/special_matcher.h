// Finds the text of special tokens (control / user-defined) in input text, for
// parse_special: leftmost match first, and the longest token at that position.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tern::tok {

class SpecialMatcher {
 public:
  void add(std::string_view text, int32_t id);  // empty texts are ignored
  bool empty() const { return nodes_.size() <= 1; }

  struct Match {
    size_t pos = 0, len = 0;
    int32_t id = -1;
  };
  // The first special token in text[from..], or len == 0 if there is none.
  Match find(std::string_view text, size_t from) const;

 private:
  struct Node {
    // Sorted (byte, child) edges; special tokens are few, so a small vector beats a map.
    std::vector<std::pair<uint8_t, int32_t>> next;
    int32_t id = -1;  // token ending here
  };
  int32_t child(int32_t node, uint8_t b) const;
  std::vector<Node> nodes_{Node{}};
  bool first_byte_[256] = {};
};

}  // namespace tern::tok
