// MappedFile::release_pages drops pages from the resident set without changing what the
// mapping reads: released bytes fault back in from the file, unchanged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "platform/mapped_file.h"

namespace {

// Resident KiB of the mapping that starts at `p`, from /proc/self/smaps.
long resident_kib(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  char start_hex[32];
  std::snprintf(start_hex, sizeof start_hex, "%lx-", reinterpret_cast<unsigned long>(p));
  bool in = false;
  while (std::getline(smaps, line)) {
    if (line.find('-') != std::string::npos && line.find(' ') > line.find('-') && std::isxdigit(line[0])) {
      in = line.rfind(start_hex, 0) == 0;
    } else if (in && line.rfind("Rss:", 0) == 0) {
      return std::stol(line.substr(4));
    }
  }
  return -1;
}

TEST(MappedFileRelease, ReleasedPagesLeaveTheResidentSetAndReadBackUnchanged) {
  const long page = ::sysconf(_SC_PAGESIZE);
  const size_t n = static_cast<size_t>(page) * 64;
  std::vector<uint8_t> want(n);
  for (size_t i = 0; i < n; ++i) want[i] = static_cast<uint8_t>(i * 131 + 7);
  const std::string path = ::testing::TempDir() + "tern_mapped_release.bin";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(want.data()), static_cast<std::streamsize>(n));

  tern::MappedFile f(path);
  volatile unsigned sum = 0;
  for (size_t i = 0; i < n; i += static_cast<size_t>(page)) sum = sum + f.data()[i];  // fault every page in
  const long before = resident_kib(f.data());
  ASSERT_GE(before, 64 * page / 1024);

  f.release_pages(f.data() + 100, n - 200);  // whole pages inside: all but the first and last
  const long after = resident_kib(f.data());
  EXPECT_LE(after, 2 * page / 1024);

  f.release_pages(f.data() + n - 10, 100);  // reaches past the end: ignored
  f.release_pages(want.data(), 10);         // not in the mapping: ignored
  EXPECT_EQ(std::vector<uint8_t>(f.data(), f.data() + n), want);
  std::remove(path.c_str());
}

}  // namespace
