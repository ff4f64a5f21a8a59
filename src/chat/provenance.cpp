// Marks of content bytes in strings (see provenance.h).
#include "chat/provenance.h"

#include <algorithm>

namespace tern::chat {

void append_marks(std::vector<TextSpan>& dst, std::span<const TextSpan> src, std::size_t at) {
  for (const TextSpan& r : src) {
    if (r.begin == r.end) continue;
    const TextSpan shifted{r.begin + at, r.end + at};
    if (!dst.empty() && dst.back().end >= shifted.begin)
      dst.back().end = std::max(dst.back().end, shifted.end);
    else
      dst.push_back(shifted);
  }
}

std::vector<TextSpan> slice_marks(std::span<const TextSpan> marks, std::size_t begin, std::size_t end) {
  std::vector<TextSpan> out;
  for (const TextSpan& r : marks) {
    const std::size_t b = std::max(r.begin, begin), e = std::min(r.end, end);
    if (b < e) out.push_back({b - begin, e - begin});
  }
  return out;
}

bool any_marked(std::span<const TextSpan> marks, std::size_t begin, std::size_t end) {
  // The first range ending after `begin` (ranges are sorted): a binary search, since
  // iterating a string asks once per character.
  auto it = std::upper_bound(marks.begin(), marks.end(), begin,
                             [](std::size_t b, const TextSpan& r) { return b < r.end; });
  return it != marks.end() && it->begin < end && begin < end;
}

Provenance::Provenance(std::vector<TextSpan> marks) {
  if (!marks.empty()) spans_ = std::make_shared<const std::vector<TextSpan>>(std::move(marks));
}

Provenance Provenance::all(std::size_t n) { return n == 0 ? Provenance() : Provenance({{0, n}}); }

std::span<const TextSpan> Provenance::spans() const {
  if (!spans_) return {};
  return *spans_;
}

}  // namespace tern::chat
