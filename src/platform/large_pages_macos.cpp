// macOS on Apple silicon: no large pages for user memory. The base page is already 16 KiB;
// the only superpage request macOS has (VM_FLAGS_SUPERPAGE_SIZE_2MB) exists on x86-64 Macs
// alone, and there is no transparent huge page policy. So PageKind::Huge gives the same
// 16 KiB pages as Small, and the huge-page byte counts are unknown.
#include "platform/large_pages.h"

#include <algorithm>
#include <cstdlib>

namespace tern {

const char* page_kind_name(PageKind kind) { return kind == PageKind::Huge ? "2 MiB" : "4 KiB"; }

void* allocate_pages(size_t bytes, PageKind /*kind*/) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (rounded < bytes) return nullptr;  // overflow
  return std::aligned_alloc(kHugePageBytes, rounded);
}

void free_pages(void* p) { std::free(p); }

void* allocate_aligned(size_t alignment, size_t bytes) {
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;  // aligned_alloc wants a multiple
  return rounded < bytes ? nullptr : std::aligned_alloc(alignment, rounded);
}

std::optional<uint64_t> huge_page_bytes(const void* /*p*/, size_t /*n*/) { return std::nullopt; }

std::optional<uint64_t> file_huge_page_bytes(const void* /*p*/, size_t /*n*/) { return std::nullopt; }

std::string thp_mode() { return "unavailable (macOS has no large pages for user memory on Apple silicon)"; }

bool huge_pages_offered() { return false; }

}  // namespace tern
