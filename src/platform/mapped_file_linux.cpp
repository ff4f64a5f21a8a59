// Linux: mmap, madvise (WILLNEED, DONTNEED, HUGEPAGE, POPULATE_READ) and posix_fadvise.
#include "platform/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "platform/large_pages.h"
#include "tern/error.h"

namespace tern {

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw Error(path + ": cannot stat: " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      throw Error(path + ": cannot mmap " + std::to_string(size_) + " bytes: " + std::strerror(e));
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping keeps the file alive
}

MappedFile::~MappedFile() { release(); }

void MappedFile::release_pages(const uint8_t* begin, uint64_t size) const {
  if (data_ == nullptr || begin < data_ || size > size_ || begin - data_ > static_cast<std::ptrdiff_t>(size_ - size)) return;
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t b = reinterpret_cast<uintptr_t>(begin), e = b + size;
  const uintptr_t first = (b + page - 1) / page * page, last = e / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

MappedFile::HugeMapping MappedFile::map_huge(const uint8_t* begin, uint64_t size) const {
  HugeMapping m;
  if (data_ == nullptr || begin < data_ || size > size_ || begin - data_ > static_cast<std::ptrdiff_t>(size_ - size)) return m;
#if defined(MADV_HUGEPAGE) && defined(MADV_POPULATE_READ)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t b = reinterpret_cast<uintptr_t>(begin), e = b + size;
  const uintptr_t first = (b + kHuge - 1) / kHuge * kHuge, last = e / kHuge * kHuge;
  if (last <= first) return m;
  void* interior = reinterpret_cast<void*>(first);
  const size_t interior_bytes = last - first;
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t pb = b / page * page;
  auto populate = [&] { return ::madvise(reinterpret_cast<void*>(pb), e - pb, MADV_POPULATE_READ) == 0; };
  if (::madvise(interior, interior_bytes, MADV_HUGEPAGE) != 0 || !populate()) return m;
  m.range_bytes = interior_bytes;
  m.huge_bytes = file_huge_page_bytes(interior, interior_bytes).value_or(0);
  if (m.huge_bytes * 10 >= m.range_bytes * 9) return m;
  // Unmap our pages first: the page cache keeps pages that are mapped.
  ::madvise(interior, interior_bytes, MADV_DONTNEED);
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return m;
  ::posix_fadvise(fd, static_cast<off_t>(first - reinterpret_cast<uintptr_t>(data_)), static_cast<off_t>(interior_bytes),
                  POSIX_FADV_DONTNEED);
  ::close(fd);
  m.reread = true;
  if (!populate()) return m;
  m.huge_bytes = file_huge_page_bytes(interior, interior_bytes).value_or(0);
  return m;
#else
  (void)begin;
  (void)size;
  return m;
#endif
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
  if (data_ != nullptr) ::madvise(const_cast<uint8_t*>(data_), size_, MADV_WILLNEED);
}

void MappedFile::release() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace tern
