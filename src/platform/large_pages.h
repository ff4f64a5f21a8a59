// Anonymous memory in 2 MiB pages, for data decode streams once per token (repacked ternary
// weights, the lm_head copy, the read-bandwidth probe). Platform layer: large_pages_linux.cpp
// (transparent huge pages, below), large_pages_windows.cpp (VirtualAlloc MEM_LARGE_PAGES
// where the account holds SeLockMemoryPrivilege, else 4 KiB pages).
//
// Why: with 4 KiB pages a sequential read of a 1 GB working set takes a TLB miss every 4 KiB,
// and in a VM each miss is a two-level (guest + host) page walk, so a plain read loop runs
// markedly faster over 2 MiB pages than over 4 KiB ones (figures: bench/README.md,
// "Read-bandwidth probe"). Linux gives THP to anonymous memory that asks
// for it with madvise(MADV_HUGEPAGE) when /sys/kernel/mm/transparent_hugepage/enabled is
// "always" or "madvise"; the request must come before the pages are first touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tern {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

enum class PageKind {
  Small,  // 4 KiB pages: MADV_NOHUGEPAGE, even where THP is "always"
  Huge,   // 2 MiB pages requested with MADV_HUGEPAGE (the kernel may still fall back)
};

const char* page_kind_name(PageKind kind);  // "4 KiB", "2 MiB"

// `bytes` rounded up to a whole number of 2 MiB pages, 2 MiB aligned, with the page-size
// advice applied before any page is touched. Free with free_pages. Returns nullptr when the
// allocation fails. Rounding up costs no memory for untouched tail bytes with 4 KiB pages;
// with THP the last page is faulted whole, so callers allocate one arena, not many pieces.
void* allocate_pages(size_t bytes, PageKind kind);
// Frees what allocate_pages or allocate_aligned returned (nullptr is ignored).
void free_pages(void* p);
// `bytes` (> 0) aligned to `alignment` (a power of two), small pages, no advice: the C
// library's aligned allocation (std::aligned_alloc, which the Windows C runtime lacks).
// Free with free_pages. Returns nullptr when the allocation fails.
void* allocate_aligned(size_t alignment, size_t bytes);
// std::unique_ptr deleter for allocate_pages memory.
struct FreePages {
  void operator()(void* p) const { free_pages(p); }
};

// How many bytes of [p, p + n) the kernel currently backs with huge pages: the sum of
// AnonHugePages over the mappings of /proc/self/smaps that overlap the range, clipped to
// the overlap. std::nullopt when /proc/self/smaps cannot be read.
std::optional<uint64_t> huge_page_bytes(const void* p, size_t n);

// The same for a file mapping: how many bytes of [p, p + n) are mapped with 2 MiB page
// table entries onto 2 MiB page-cache folios (smaps FilePmdMapped). Linux 6.x file systems
// with large folios (ext4 since 6.16, xfs, tmpfs) map a file this way when the mapping is
// 2 MiB aligned and the cache holds 2 MiB folios (e.g. after a cold read with MADV_HUGEPAGE).
std::optional<uint64_t> file_huge_page_bytes(const void* p, size_t n);

// The THP policy in effect ("always", "madvise", "never"), or "unavailable". On Windows:
// "large pages" when SeLockMemoryPrivilege is held, else "unavailable (why)".
std::string thp_mode();

// Whether PageKind::Huge can give 2 MiB pages here: THP "always" or "madvise" on Linux, the
// large-page privilege on Windows.
bool huge_pages_offered();

}  // namespace tern
