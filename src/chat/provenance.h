// Where a string's bytes came from: the caller's messages ("content": message text, names,
// tool arguments, anything a client wrote) or the template (its literals, bos_token, ...).
// A render carries this down to the tokenizer, which turns special-token text into control
// tokens only where the template wrote it, so text in a message can never forge a turn.
//
// The rule is conservative: a string computed from content is content. Concatenation,
// slicing, indexing, iteration, strip()/trim and join keep the marks byte for byte (the
// template's own markup around content stays markup); any other filter or method that
// builds a new string from an input holding content marks the whole result (builtins.h).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "tern/text_span.h"

namespace tern::chat {

// Appends `src` (marks of a string that now starts at byte `at` of dst's string) to `dst`,
// merging touching ranges. Both lists are sorted and disjoint; src's ranges start at or
// after dst's last one ends once shifted.
void append_marks(std::vector<TextSpan>& dst, std::span<const TextSpan> src, std::size_t at);
// The marks of the substring [begin, end), re-based to start at 0.
std::vector<TextSpan> slice_marks(std::span<const TextSpan> marks, std::size_t begin, std::size_t end);
// Whether any byte of [begin, end) is marked.
bool any_marked(std::span<const TextSpan> marks, std::size_t begin, std::size_t end);

// The immutable marks a string Value holds; copying shares them.
class Provenance {
 public:
  Provenance() = default;
  explicit Provenance(std::vector<TextSpan> marks);
  static Provenance all(std::size_t n);  // every byte of an n-byte string (none when n == 0)

  bool any() const { return spans_ != nullptr; }
  std::span<const TextSpan> spans() const;
  Provenance slice(std::size_t begin, std::size_t end) const { return Provenance(slice_marks(spans(), begin, end)); }

 private:
  std::shared_ptr<const std::vector<TextSpan>> spans_;  // null: no byte is content
};

}  // namespace tern::chat
