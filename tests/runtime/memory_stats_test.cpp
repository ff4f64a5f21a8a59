// Peak / current RSS parsing from /proc/self/status text.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "platform/process_stats.h"

TEST(MemoryStats, ParsesKilobyteLines) {
  const std::string status = "Name:\ttern\nVmPeak:\t  99999 kB\nVmHWM:\t    1780 kB\nVmRSS:\t     912 kB\n";
  EXPECT_EQ(tern::parse_proc_status_bytes(status, "VmHWM"), 1780u * 1024);
  EXPECT_EQ(tern::parse_proc_status_bytes(status, "VmRSS"), 912u * 1024);
  EXPECT_FALSE(tern::parse_proc_status_bytes(status, "VmSwap").has_value());
  EXPECT_FALSE(tern::parse_proc_status_bytes("VmHWM:\tlots kB\n", "VmHWM").has_value());
  EXPECT_FALSE(tern::parse_proc_status_bytes("VmHWM:\t12 MB\n", "VmHWM").has_value());
  // A key that is a prefix of another must not match it.
  EXPECT_FALSE(tern::parse_proc_status_bytes("VmHWMx:\t12 kB\n", "VmHWM").has_value());
}

TEST(MemoryStats, PeakGrowsWhenMemoryIsTouched) {
  auto before = tern::peak_rss_bytes();
  ASSERT_TRUE(before.has_value());
  const size_t size = 64u << 20;
  std::unique_ptr<char[]> block(new char[size]);
  std::memset(block.get(), 1, size);  // touch every page
  auto current = tern::current_rss_bytes();  // before the peak: RSS may grow between the reads
  auto after = tern::peak_rss_bytes();
  ASSERT_TRUE(after.has_value());
  ASSERT_TRUE(current.has_value());
  EXPECT_GE(*after, *before);
  EXPECT_GE(*after, size);
  EXPECT_GE(*after, *current);
  volatile char sink = block[size - 1];
  (void)sink;
}
