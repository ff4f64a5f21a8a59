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
  // Asks for [begin, begin + size) in 2 MiB pages (MADV_HUGEPAGE on its 2 MiB-aligned
  // interior, which also makes that interior its own mapping in /proc/self/smaps) and maps
  // every page of it now (MADV_POPULATE_READ, reading the file if it is not cached).
  // Returns the 2 MiB-aligned interior it advised (empty when there is none), or an empty
  // span when the kernel refused either call (e.g. before Linux 5.14) or the range is
  // outside the mapping.
  std::span<const uint8_t> populate_huge(const uint8_t* begin, uint64_t size) const;

 private:
  void release();
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tern
