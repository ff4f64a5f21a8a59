// The machine's read bandwidth: the one definition `tern bench` (tg roofline) and
// bench/bench_kernels (ReadBandwidth) both use.
//
// Definition: a 256 MiB buffer (8x a 32 MiB L3), touched once at allocation, read
// sequentially by `threads` threads (dynamic 4 MiB chunks, so a late-waking thread does
// not leave its share to the others), each chunk summed with the widest loads the CPU has
// (AVX2: eight 32-byte accumulators; elsewhere eight 64-bit chains the compiler vectorizes).
// The figure is bytes / WALL seconds of the best of `passes` passes. Decode streams every
// weight once per token, so bytes per token / this is the fastest tg can be.
//
// The page size of the buffer is a parameter because it changes the answer: in a VM 2 MiB
// pages read markedly faster than 4 KiB ones (TLB misses are two-level page walks; figures
// in bench/README.md, "Read-bandwidth probe"). A roofline is only fair if the probe's pages match the
// model's, so `tern bench` measures both and reports which the model uses.
#pragma once

#include <cstddef>
#include <cstdint>

#include "platform/large_pages.h"

namespace tern {

class ThreadPool;

inline constexpr size_t kReadProbeBytes = size_t{256} << 20;

class ReadProbe {
 public:
  // Allocates `bytes` (rounded down to whole 4 MiB chunks, at least one) with `pages` and
  // writes every byte. Throws tern::Error if the memory cannot be allocated.
  explicit ReadProbe(PageKind pages, size_t bytes = kReadProbeBytes);
  ~ReadProbe();
  ReadProbe(const ReadProbe&) = delete;
  ReadProbe& operator=(const ReadProbe&) = delete;

  // Reads the whole buffer once on `pool`'s threads; returns the sum of all 64-bit words
  // (so the loads cannot be optimized away; bytes() / 8 * 0x0101010101010101 when intact).
  uint64_t pass(ThreadPool& pool) const;

  size_t bytes() const { return bytes_; }
  PageKind pages() const { return pages_; }
  // Bytes of the buffer actually in huge pages (the kernel may refuse THP).
  uint64_t huge_bytes() const;

 private:
  uint8_t* data_ = nullptr;
  size_t bytes_ = 0;
  PageKind pages_;
};

struct ReadBandwidth {
  double gbps = 0;          // best pass, 1e9 bytes per wall second
  PageKind pages = PageKind::Small;
  uint64_t huge_bytes = 0;  // of the probe buffer, as the kernel placed it
};

// Best of `passes` timed passes (after one untimed pass) on a pool of `threads` threads.
ReadBandwidth measure_read_bandwidth(int threads, PageKind pages, int passes = 5);

}  // namespace tern
