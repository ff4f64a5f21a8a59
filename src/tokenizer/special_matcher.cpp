#include "tokenizer/special_matcher.h"

#include <algorithm>
#include <cstring>

namespace tern::tok {

int32_t SpecialMatcher::child(int32_t node, uint8_t b) const {
  const auto& e = nodes_[static_cast<size_t>(node)].next;
  auto it = std::lower_bound(e.begin(), e.end(), std::make_pair(b, int32_t{-1}));
  return it != e.end() && it->first == b ? it->second : -1;
}

void SpecialMatcher::add(std::string_view text, int32_t id) {
  if (text.empty()) return;
  int32_t node = 0;
  for (char c : text) {
    auto b = static_cast<uint8_t>(c);
    int32_t next = child(node, b);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& e = nodes_[static_cast<size_t>(node)].next;
      e.insert(std::lower_bound(e.begin(), e.end(), std::make_pair(b, int32_t{-1})), {b, next});
    }
    node = next;
  }
  // Two tokens with the same text: the first (lowest id) wins, as in a vocab lookup.
  if (nodes_[static_cast<size_t>(node)].id < 0) nodes_[static_cast<size_t>(node)].id = id;
  first_byte_[static_cast<uint8_t>(text[0])] = true;
}

SpecialMatcher::Match SpecialMatcher::find(std::string_view text, size_t from) const {
  for (size_t pos = from; pos < text.size(); ++pos) {
    if (!first_byte_[static_cast<uint8_t>(text[pos])]) continue;
    Match best;
    int32_t node = 0;
    for (size_t i = pos; i < text.size(); ++i) {
      node = child(node, static_cast<uint8_t>(text[i]));
      if (node < 0) break;
      if (nodes_[static_cast<size_t>(node)].id >= 0) best = {pos, i + 1 - pos, nodes_[static_cast<size_t>(node)].id};
    }
    if (best.len > 0) return best;
  }
  return {};
}

}  // namespace tern::tok
