// Windows: large pages are VirtualAlloc(MEM_LARGE_PAGES), which needs the "Lock pages in
// memory" right (SeLockMemoryPrivilege) granted to the account and enabled in the process
// token; without it PageKind::Huge falls back to ordinary pages, as THP "never" does on
// Linux. Ordinary allocations are _aligned_malloc (the C runtime has no aligned_alloc).
// Which allocator a pointer came from is kept in a small set, so free_pages frees any.
#include <windows.h>
#include <psapi.h>

#include <malloc.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "platform/large_pages.h"

namespace tern {
namespace {

std::mutex g_large_mutex;
std::set<void*>& large_allocations() {
  static std::set<void*> s;
  return s;
}

// "" when large pages can be had, else why not. Enabling the privilege is tried once.
const std::string& large_page_problem() {
  static const std::string problem = []() -> std::string {
    if (GetLargePageMinimum() == 0) return "the processor has no large pages";
    HANDLE token = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token))
      return "cannot open the process token";
    TOKEN_PRIVILEGES tp{};
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    const bool looked_up = LookupPrivilegeValueA(nullptr, "SeLockMemoryPrivilege", &tp.Privileges[0].Luid) != 0;
    // AdjustTokenPrivileges "succeeds" without the right; ERROR_NOT_ALL_ASSIGNED says so.
    const bool enabled = looked_up && AdjustTokenPrivileges(token, FALSE, &tp, 0, nullptr, nullptr) != 0 &&
                         GetLastError() == ERROR_SUCCESS;
    CloseHandle(token);
    if (!enabled) return "SeLockMemoryPrivilege (\"Lock pages in memory\") not held";
    return "";
  }();
  return problem;
}

}  // namespace

const char* page_kind_name(PageKind kind) { return kind == PageKind::Huge ? "2 MiB" : "4 KiB"; }

void* allocate_pages(size_t bytes, PageKind kind) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (rounded < bytes) return nullptr;  // overflow
  if (kind == PageKind::Huge && large_page_problem().empty() && GetLargePageMinimum() <= kHugePageBytes) {
    void* p = VirtualAlloc(nullptr, rounded, MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES, PAGE_READWRITE);
    if (p != nullptr) {
      std::lock_guard<std::mutex> lock(g_large_mutex);
      large_allocations().insert(p);
      return p;
    }
    // Physical memory too fragmented for large pages now: ordinary pages below.
  }
  return _aligned_malloc(rounded, kHugePageBytes);
}

void* allocate_aligned(size_t alignment, size_t bytes) { return _aligned_malloc(bytes, alignment); }

void free_pages(void* p) {
  if (p == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(g_large_mutex);
    if (large_allocations().erase(p) != 0) {
      VirtualFree(p, 0, MEM_RELEASE);
      return;
    }
  }
  _aligned_free(p);
}

std::optional<uint64_t> huge_page_bytes(const void* p, size_t n) {
  // QueryWorkingSetEx says per page whether it is resident and a large page; one query per
  // 2 MiB is enough (a large page is 2 MiB), clipped to the range.
  const uintptr_t lo = reinterpret_cast<uintptr_t>(p), hi = lo + n;
  uint64_t total = 0;
  for (uintptr_t a = lo / kHugePageBytes * kHugePageBytes; a < hi; a += kHugePageBytes) {
    PSAPI_WORKING_SET_EX_INFORMATION info{};
    info.VirtualAddress = reinterpret_cast<void*>(std::max(a, lo));
    if (!QueryWorkingSetEx(GetCurrentProcess(), &info, sizeof info)) return std::nullopt;
    if (info.VirtualAttributes.Valid && info.VirtualAttributes.LargePage)
      total += std::min<uintptr_t>(a + kHugePageBytes, hi) - std::max(a, lo);
  }
  return total;
}

std::optional<uint64_t> file_huge_page_bytes(const void*, size_t) { return std::nullopt; }

std::string thp_mode() {
  const std::string& problem = large_page_problem();
  return problem.empty() ? "large pages" : "unavailable (" + problem + ")";
}

bool huge_pages_offered() { return large_page_problem().empty(); }

}  // namespace tern
