// A read-only memory mapping of a whole file (zero copy for GGUF and safetensors).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tern {

class MappedFile {
 public:
  MappedFile() = default;
  // Maps `path` read-only; throws tern::Error naming the path on failure. An empty file
  // maps to an empty span.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Hints the kernel to read the mapping ahead (MADV_WILLNEED); harmless if unsupported.
  void prefetch() const;
  // Drops the whole pages of [begin, begin + size) from this process's resident set
  // (MADV_DONTNEED; the file is unchanged and a later read faults them back in). For data
  // that has been copied elsewhere, e.g. weights repacked at load. Pages shared with bytes
  // outside the range are kept; a range outside the mapping is ignored.
  void release_pages(const uint8_t* begin, uint64_t size) const;
  // Maps [begin, begin + size) now, in 2 MiB pages where the page cache allows: asks for
  // them on its 2 MiB-aligned interior (MADV_HUGEPAGE, which also makes the interior its own
  // mapping in /proc/self/smaps) and faults every page in (MADV_POPULATE_READ, reading the
  // file if it is not cached). When under 90 % of the interior comes out in 2 MiB pages
  // (the cache holds it in small folios, e.g. the file was just written), the range's
  // cached pages are dropped (POSIX_FADV_DONTNEED; pages another process maps stay) and
  // read again, which a large-folio file system (ext4 since Linux 6.16, xfs) does in 2 MiB
  // folios. huge_bytes says what came out; range_bytes is 0 when the kernel refused.
  struct HugeMapping {
    uint64_t range_bytes = 0;  // the 2 MiB-aligned interior advised
    uint64_t huge_bytes = 0;   // of it mapped in 2 MiB pages
    bool reread = false;       // the cached pages were dropped and read again
  };
  HugeMapping map_huge(const uint8_t* begin, uint64_t size) const;

 private:
  void release();
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tern
