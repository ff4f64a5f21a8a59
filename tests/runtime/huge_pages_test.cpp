// allocate_pages: 2 MiB-aligned memory with the page-size advice applied; huge_page_bytes
// reads back what the kernel did (only where it offers THP can huge pages be demanded).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "platform/large_pages.h"
#include "runtime/read_bandwidth.h"
#include "runtime/thread_pool.h"

namespace {

using tern::PageKind;

TEST(HugePages, AllocationsAreAlignedAndWritable) {
  for (PageKind kind : {PageKind::Small, PageKind::Huge}) {
    const size_t bytes = 3 * tern::kHugePageBytes + 12345;
    auto* p = static_cast<uint8_t*>(tern::allocate_pages(bytes, kind));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % tern::kHugePageBytes, 0u);
    std::memset(p, 0x5a, bytes);
    EXPECT_EQ(p[bytes - 1], 0x5a);
    tern::free_pages(p);
  }
}

// `bytes` of `kind` pages, written (pages are placed at first touch); freed by the caller.
uint8_t* touched_pages(PageKind kind, size_t bytes) {
  auto* p = static_cast<uint8_t*>(tern::allocate_pages(bytes, kind));
  if (p != nullptr) std::memset(p, 1, bytes);
  return p;
}

TEST(HugePages, SmallPagesAreNeverHuge) {
  const size_t bytes = 8 * tern::kHugePageBytes;
  uint8_t* p = touched_pages(PageKind::Small, bytes);
  ASSERT_NE(p, nullptr);
  const auto huge = tern::huge_page_bytes(p, bytes);
  ASSERT_TRUE(huge.has_value());
  EXPECT_EQ(*huge, 0u);
  tern::free_pages(p);
}

TEST(HugePages, HugePagesWhereTheKernelOffersThem) {
  const std::string mode = tern::thp_mode();
  if (mode != "always" && mode != "madvise") GTEST_SKIP() << "THP is '" << mode << "' here";
  const size_t bytes = 8 * tern::kHugePageBytes;
  uint8_t* p = touched_pages(PageKind::Huge, bytes);
  ASSERT_NE(p, nullptr);
  const auto huge = tern::huge_page_bytes(p, bytes);
  ASSERT_TRUE(huge.has_value());
  // Never more than the range itself is counted, and a sub-range at most its own size.
  EXPECT_LE(*huge, bytes);
  EXPECT_LE(*tern::huge_page_bytes(p + tern::kHugePageBytes, 4096), 4096u);
  tern::free_pages(p);
  // Zero is possible and not an error: the kernel may fall back to small pages (fragmented
  // memory), and under qemu-user the guest's addresses are not the host mappings that
  // /proc/self/smaps lists. Say so instead of failing; the bounds above still ran.
  if (*huge == 0) GTEST_SKIP() << "the kernel put none of 16 MiB in huge pages here (qemu-user or fragmented memory)";
}

TEST(ReadProbe, SumsEveryWordOnAnyThreadCount) {
  for (int threads : {1, 2, 3}) {
    tern::ThreadPool pool(threads);
    tern::ReadProbe probe(PageKind::Small, size_t{12} << 20);  // three 4 MiB chunks
    EXPECT_EQ(probe.bytes(), size_t{12} << 20);
    EXPECT_EQ(probe.pass(pool), probe.bytes() / 8 * 0x0101010101010101ull);
  }
  tern::ThreadPool pool(1);
  tern::ReadProbe tiny(PageKind::Huge, 100);  // rounds up to one chunk
  EXPECT_EQ(tiny.bytes(), size_t{4} << 20);
  EXPECT_EQ(tiny.pass(pool), tiny.bytes() / 8 * 0x0101010101010101ull);
}

TEST(ReadProbe, MeasuresAPositiveRateForBothPageKinds) {
  for (PageKind kind : {PageKind::Small, PageKind::Huge}) {
    const tern::ReadBandwidth r = tern::measure_read_bandwidth(1, kind, 1);
    EXPECT_GT(r.gbps, 0.0);
    EXPECT_EQ(r.pages, kind);
    if (kind == PageKind::Small) {
      EXPECT_EQ(r.huge_bytes, 0u);
    }
  }
}

}  // namespace
