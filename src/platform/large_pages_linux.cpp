#include "platform/large_pages.h"

#include <sys/mman.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace tern {

const char* page_kind_name(PageKind kind) { return kind == PageKind::Huge ? "2 MiB" : "4 KiB"; }

void* allocate_pages(size_t bytes, PageKind kind) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (rounded < bytes) return nullptr;  // overflow
  void* p = std::aligned_alloc(kHugePageBytes, rounded);
  if (p == nullptr) return nullptr;
#if defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
  // Advice only: a kernel without THP refuses it and the memory simply stays in 4 KiB pages.
  ::madvise(p, rounded, kind == PageKind::Huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#endif
  return p;
}

void free_pages(void* p) { std::free(p); }

void* allocate_aligned(size_t alignment, size_t bytes) {
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;  // aligned_alloc wants a multiple
  return rounded < bytes ? nullptr : std::aligned_alloc(alignment, rounded);
}

namespace {

// The sum of smaps field `field` ("AnonHugePages", "FilePmdMapped") over the mappings of
// /proc/self/smaps that overlap [p, p + n), each clipped to its overlap.
std::optional<uint64_t> smaps_huge_bytes(const void* p, size_t n, const char* field) {
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) return std::nullopt;
  const uint64_t lo = reinterpret_cast<uintptr_t>(p), hi = lo + n;
  const std::string pattern = std::string(field) + ": %llu kB";
  uint64_t total = 0, overlap = 0;  // overlap of the current mapping with [lo, hi)
  std::string line;
  while (std::getline(smaps, line)) {
    unsigned long long kib = 0;
    if (std::sscanf(line.c_str(), pattern.c_str(), &kib) == 1) {
      // A mapping may be larger than the range; its huge pages count only up to the part
      // that overlaps (smaps does not say where in the mapping they are).
      total += std::min<uint64_t>(kib * 1024, overlap);
      continue;
    }
    uint64_t start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " ", &start, &end) == 2 && line.find(' ') > line.find('-')) {
      overlap = (end > lo && start < hi) ? std::min(end, hi) - std::max(start, lo) : 0;
    }
  }
  return total;
}

}  // namespace

std::optional<uint64_t> huge_page_bytes(const void* p, size_t n) { return smaps_huge_bytes(p, n, "AnonHugePages"); }

std::optional<uint64_t> file_huge_page_bytes(const void* p, size_t n) { return smaps_huge_bytes(p, n, "FilePmdMapped"); }

std::string thp_mode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string s;
  if (!f || !std::getline(f, s)) return "unavailable";
  const size_t a = s.find('['), b = s.find(']');
  return a != std::string::npos && b != std::string::npos && b > a ? s.substr(a + 1, b - a - 1) : "unavailable";
}

bool huge_pages_offered() {
  const std::string mode = thp_mode();
  return mode == "always" || mode == "madvise";
}

}  // namespace tern
