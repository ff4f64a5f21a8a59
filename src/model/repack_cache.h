// A cache of the TERN_T2 bytes a foreign ternary file (I2_S, TQ2_0, TQ1_0, IQ2_BN) is
// repacked into at load, so later loads map them zero-copy from the page cache instead of
// converting them again into fresh memory (bench/README.md, "Load time", has why that
// matters). Where: $TERN_CACHE_DIR, else $XDG_CACHE_HOME/tern, else $HOME/.cache/tern;
// one file per model, <model stem>-<hash of its absolute path>.t2cache. TERN_REPACK_CACHE=0
// (or ModelOptions::repack_cache = false) turns it off.
//
// Trust: a cache file is used only when its header names this format version, the source
// file's size, mtime, inode and device as they are now, and exactly the tensor layout the
// loader computed from the source; and the hash of its payload matches. Anything else
// (stale, truncated, corrupt, hostile) is a miss: the model is repacked as without a
// cache and the file rewritten (temp file + rename, so readers never see half a file).
//
// File layout v1, little-endian:
//   0   "TERNRPC1"                 8 bytes
//   8   u32 format version         (kRepackCacheVersion)
//   12  u32 tensor count n
//   16  u64 source size, u64 source mtime (ns), u64 source inode, u64 source device
//   48  u64 payload offset         (kRepackCachePayloadOffset: 2 MiB, so a 2 MiB-aligned
//                                    mapping can map the payload with 2 MiB pages)
//   56  u64 payload bytes
//   64  u64 payload hash           (repack_cache_hash)
//   72  n x {u64 offset, u64 bytes, f32 weight_scale, u32 0}   (24 bytes each)
//   72 + 24n  u64 hash of bytes [0, 72 + 24n)
//   payload offset: the payload, every tensor at its offset
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/mapped_file.h"
#include "runtime/thread_pool.h"

namespace tern::model {

inline constexpr uint32_t kRepackCacheVersion = 1;
inline constexpr uint64_t kRepackCachePayloadOffset = uint64_t{2} << 20;

// What identifies the source file's contents for the cache.
struct SourceStamp {
  uint64_t size = 0;
  uint64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
  bool operator==(const SourceStamp&) const = default;
};
// stat(2) of `path`; nullopt when it cannot be read.
std::optional<SourceStamp> source_stamp(const std::string& path);

// One repacked tensor in the payload: offset and size in bytes, and its weight_scale.
struct CachedTensor {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  float weight_scale = 0;
};

// The cache file for `model_path`, or nullopt when no cache folder is known (no
// TERN_CACHE_DIR, XDG_CACHE_HOME or HOME).
std::optional<std::string> repack_cache_path(const std::string& model_path);

// A 64-bit hash of `bytes` (not cryptographic: it catches corruption, not forgery), hashed
// in 16 MiB chunks on `pool`; the value does not depend on the thread count.
uint64_t repack_cache_hash(std::span<const uint8_t> bytes, ThreadPool& pool);

// The hash the header's last 8 bytes hold, of the `header` bytes before them (fuzzing
// uses it to build headers that get past the hash check).
uint64_t repack_cache_header_hash(std::span<const uint8_t> header);

// Checks a cache file's header against what the loader expects: `layout` (offsets and sizes;
// the scales are ignored) and `payload_bytes`. On success returns the stored weight_scales
// (finite, positive), one per layout entry, and sets payload_hash; else nullopt and `why`.
// Reads only the header: the caller checks the payload hash. Never reads outside `file`.
std::optional<std::vector<float>> parse_repack_cache_header(std::span<const uint8_t> file, const SourceStamp& source,
                                                            const std::vector<CachedTensor>& layout, uint64_t payload_bytes,
                                                            uint64_t& payload_hash, std::string& why);

// A cache hit: the mapping that keeps the payload alive and the tensors' weight_scales.
struct RepackCacheHit {
  MappedFile map;
  const uint8_t* payload = nullptr;
  std::vector<float> scales;
  MappedFile::HugeMapping huge;  // how much of the payload came out in 2 MiB pages
};
// Opens and fully validates the cache file at `path` (header and payload hash). nullopt
// with `why` on a miss.
std::optional<RepackCacheHit> open_repack_cache(const std::string& path, const SourceStamp& source,
                                                const std::vector<CachedTensor>& layout, uint64_t payload_bytes,
                                                ThreadPool& pool, std::string& why);

// Writes the cache file atomically (a temp file in the same folder, then rename). Returns
// an empty string on success, else why it was not written (the load goes on regardless).
std::string write_repack_cache(const std::string& path, const SourceStamp& source, const std::vector<CachedTensor>& layout,
                               std::span<const uint8_t> payload, ThreadPool& pool);

}  // namespace tern::model
