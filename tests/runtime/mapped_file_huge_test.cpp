// MappedFile::map_huge: a range of a file mapping populated in 2 MiB page-cache pages where
// the kernel allows, re-read when the cache holds the file in small folios. What the mapping
// reads must never change, whichever path it took.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/huge_pages.h"
#include "runtime/mapped_file.h"

namespace {

// A file written just now: its cached pages are the small folios of the write path, so
// map_huge takes its re-read path.
std::string write_pattern(const std::string& name, size_t n, std::vector<uint8_t>& want) {
  want.resize(n);
  for (size_t i = 0; i < n; ++i) want[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(want.data()), static_cast<std::streamsize>(n));
  return path;
}

TEST(MappedFileHuge, InteriorIsAdvisedAndTheBytesReadBackUnchanged) {
  std::vector<uint8_t> want;
  const size_t n = 12 * tern::kHugePageBytes + 777;
  const std::string path = write_pattern("tern_map_huge.bin", n, want);
  tern::MappedFile f(path);
  // An unaligned range: the advice covers only the whole 2 MiB pages inside it.
  const uint8_t* begin = f.data() + 4097;
  const uint64_t size = n - 4097 - 999;
  const tern::MappedFile::HugeMapping m = f.map_huge(begin, size);
  const auto b = reinterpret_cast<uintptr_t>(begin), e = b + size, H = uintptr_t{tern::kHugePageBytes};
  const uint64_t interior = (e / H * H) - ((b + H - 1) / H * H);
  const std::string mode = tern::thp_mode();
  if (mode == "always" || mode == "madvise") {
    EXPECT_EQ(m.range_bytes, interior);
  }
  EXPECT_LE(m.huge_bytes, m.range_bytes);
  std::printf("map_huge: %llu of %llu bytes in 2 MiB pages%s\n", static_cast<unsigned long long>(m.huge_bytes),
              static_cast<unsigned long long>(m.range_bytes), m.reread ? " (re-read)" : "");
  for (size_t i = 0; i < n; ++i) {
    if (f.data()[i] != want[i]) FAIL() << "byte " << i << " changed after map_huge";
  }
  // A second call finds the pages in place: no re-read, the same huge bytes.
  const tern::MappedFile::HugeMapping again = f.map_huge(begin, size);
  EXPECT_EQ(again.range_bytes, m.range_bytes);
  if (m.huge_bytes * 10 >= m.range_bytes * 9) {
    EXPECT_FALSE(again.reread);
  }
  if (m.range_bytes > 0 && m.huge_bytes == 0) {
    std::printf("note: this kernel or file system maps no file pages in 2 MiB pages (THP %s)\n", mode.c_str());
  }
}

TEST(MappedFileHuge, RangesOutsideTheMappingAreRefused) {
  std::vector<uint8_t> want;
  const size_t n = 3 * tern::kHugePageBytes;
  tern::MappedFile f(write_pattern("tern_map_huge_outside.bin", n, want));
  EXPECT_EQ(f.map_huge(f.data() + 1, n).range_bytes, 0u);       // runs past the end
  EXPECT_EQ(f.map_huge(f.data() - 4096, 8192).range_bytes, 0u);  // starts before it
  EXPECT_EQ(f.map_huge(f.data(), 4096).range_bytes, 0u);         // no whole 2 MiB page inside
}

}  // namespace
