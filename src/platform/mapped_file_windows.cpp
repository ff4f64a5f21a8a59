// Windows: CreateFileMapping + MapViewOfFile (read-only), PrefetchVirtualMemory for the
// read-ahead hint, VirtualUnlock to drop pages from the working set. A file view cannot be
// mapped in large pages on Windows (SEC_LARGE_PAGES is for pagefile-backed sections only),
// so map_huge reports that nothing was advised.
#include <windows.h>

#include <utility>

#include "platform/mapped_file.h"
#include "tern/error.h"

namespace tern {
namespace {

std::string last_error_text() {
  const DWORD code = GetLastError();
  char buf[256] = {};
  const DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code, 0, buf,
                                 sizeof buf, nullptr);
  std::string s(buf, n);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == '.')) s.pop_back();
  return s.empty() ? "Windows error " + std::to_string(code) : s;
}

}  // namespace

MappedFile::MappedFile(const std::string& path) : path_(path) {
  HANDLE file = CreateFileA(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) throw Error(path + ": cannot open: " + last_error_text());
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(file, &info)) {
    const std::string why = last_error_text();
    CloseHandle(file);
    throw Error(path + ": cannot stat: " + why);
  }
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    CloseHandle(file);
    throw Error(path + ": not a regular file");
  }
  const uint64_t size = (static_cast<uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  size_ = static_cast<size_t>(size);
  if (size_ > 0) {
    HANDLE mapping = CreateFileMappingA(file, nullptr, PAGE_READONLY, 0, 0, nullptr);
    if (mapping == nullptr) {
      const std::string why = last_error_text();
      CloseHandle(file);
      throw Error(path + ": cannot map " + std::to_string(size_) + " bytes: " + why);
    }
    void* p = MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0);
    const std::string why = p == nullptr ? last_error_text() : "";
    CloseHandle(mapping);  // the view keeps the mapping (and the file) alive
    if (p == nullptr) {
      CloseHandle(file);
      throw Error(path + ": cannot map " + std::to_string(size_) + " bytes: " + why);
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  CloseHandle(file);
}

MappedFile::~MappedFile() { release(); }

void MappedFile::release_pages(const uint8_t* begin, uint64_t size) const {
  if (data_ == nullptr || begin < data_ || size > size_ || begin - data_ > static_cast<std::ptrdiff_t>(size_ - size)) return;
  SYSTEM_INFO si{};
  GetSystemInfo(&si);
  const uintptr_t page = si.dwPageSize;
  const uintptr_t b = reinterpret_cast<uintptr_t>(begin), e = b + size;
  const uintptr_t first = (b + page - 1) / page * page, last = e / page * page;
  // VirtualUnlock on pages that are not locked removes them from the working set (the
  // documented way to trim a range); it then reports ERROR_NOT_LOCKED, which is expected.
  if (last > first) VirtualUnlock(reinterpret_cast<void*>(first), last - first);
}

MappedFile::HugeMapping MappedFile::map_huge(const uint8_t* begin, uint64_t size) const {
  (void)begin;
  (void)size;
  return {};
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)), data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void MappedFile::prefetch() const {
  if (data_ == nullptr) return;
  WIN32_MEMORY_RANGE_ENTRY range{const_cast<uint8_t*>(data_), size_};
  PrefetchVirtualMemory(GetCurrentProcess(), 1, &range, 0);  // a hint: failure is harmless
}

void MappedFile::release() {
  if (data_ != nullptr) UnmapViewOfFile(data_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace tern
