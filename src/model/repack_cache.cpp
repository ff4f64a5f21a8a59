#include "model/repack_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "tern/error.h"

namespace tern::model {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'T', 'E', 'R', 'N', 'R', 'P', 'C', '1'};
constexpr uint64_t kFixedHeader = 72;
constexpr uint64_t kEntryBytes = 24;
constexpr uint64_t kHashChunk = uint64_t{16} << 20;
constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio: an odd multiplier with mixed bits

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Spreads every input bit over the output (xor-shift / multiply rounds).
inline uint64_t mix(uint64_t h) {
  h ^= h >> 32;
  h *= kMul;
  h ^= h >> 29;
  h *= kMul;
  h ^= h >> 32;
  return h;
}

// Four independent lanes so the multiplies overlap; each step is a bijection of the lane
// state, so any single changed word changes the lane.
uint64_t hash_bytes(const uint8_t* p, uint64_t n, uint64_t seed) {
  uint64_t lane[4] = {seed ^ 1, seed ^ 2, seed ^ 3, seed ^ 4};
  uint64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, p + i + 8 * l, 8);
      lane[l] = rotl((lane[l] ^ w) * kMul, 31);
    }
  }
  for (; i < n; ++i) lane[0] = rotl((lane[0] ^ p[i]) * kMul, 31);
  return mix(lane[0] ^ rotl(lane[1], 16) ^ rotl(lane[2], 32) ^ rotl(lane[3], 48) ^ n);
}

uint64_t get_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
// Appends v's bytes (host order, as get_* read them). insert, not resize + memcpy: GCC 12
// for aarch64 reports a false -Wstringop-overflow on the zero-fill of the resize.
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  const auto* b = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), b, b + 8);
}
void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  const auto* b = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), b, b + 4);
}

// pwrite until done; false on an error.
bool write_all(int fd, const uint8_t* p, uint64_t n, uint64_t offset) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, std::min<uint64_t>(n, uint64_t{1} << 30), static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<uint64_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return true;
}

}  // namespace

std::optional<SourceStamp> source_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  SourceStamp s;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ull + static_cast<uint64_t>(st.st_mtim.tv_nsec);
  s.inode = static_cast<uint64_t>(st.st_ino);
  s.device = static_cast<uint64_t>(st.st_dev);
  return s;
}

std::optional<std::string> repack_cache_path(const std::string& model_path) {
  fs::path dir;
  const char* env = std::getenv("TERN_CACHE_DIR");
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (env != nullptr && *env != '\0') {
    dir = env;
  } else if (xdg != nullptr && *xdg != '\0') {
    dir = fs::path(xdg) / "tern";
  } else if (home != nullptr && *home != '\0') {
    dir = fs::path(home) / ".cache" / "tern";
  } else {
    return std::nullopt;
  }
  std::error_code ec;
  fs::path abs = fs::absolute(model_path, ec);
  if (ec) abs = model_path;
  const std::string key = abs.lexically_normal().string();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(hash_bytes(reinterpret_cast<const uint8_t*>(key.data()), key.size(), 0)));
  return (dir / (abs.stem().string() + "-" + hex + ".t2cache")).string();
}

uint64_t repack_cache_hash(std::span<const uint8_t> bytes, ThreadPool& pool) {
  const uint64_t n_chunks = (bytes.size() + kHashChunk - 1) / kHashChunk;
  std::vector<uint64_t> chunk(n_chunks);
  pool.parallel_for(static_cast<int64_t>(n_chunks), [&](int64_t i) {
    const uint64_t o = static_cast<uint64_t>(i) * kHashChunk;
    chunk[static_cast<size_t>(i)] = hash_bytes(bytes.data() + o, std::min<uint64_t>(kHashChunk, bytes.size() - o), static_cast<uint64_t>(i));
  });
  uint64_t h = mix(bytes.size() ^ kMul);
  for (uint64_t c : chunk) h = mix(h ^ c) * kMul;
  return mix(h);
}

uint64_t repack_cache_header_hash(std::span<const uint8_t> header) {
  return hash_bytes(header.data(), header.size(), kRepackCacheVersion);
}

std::optional<std::vector<float>> parse_repack_cache_header(std::span<const uint8_t> file, const SourceStamp& source,
                                                            const std::vector<CachedTensor>& layout, uint64_t payload_bytes,
                                                            uint64_t& payload_hash, std::string& why) {
  const uint8_t* p = file.data();
  if (file.size() < kFixedHeader + 8) return why = "shorter than its header", std::nullopt;
  if (std::memcmp(p, kMagic, 8) != 0) return why = "not a tern repack cache (magic)", std::nullopt;
  if (get_u32(p + 8) != kRepackCacheVersion) return why = "format version " + std::to_string(get_u32(p + 8)) + ", expected " + std::to_string(kRepackCacheVersion), std::nullopt;
  const uint32_t n = get_u32(p + 12);
  if (n != layout.size()) return why = "holds " + std::to_string(n) + " tensors, the model " + std::to_string(layout.size()), std::nullopt;
  const uint64_t header_bytes = kFixedHeader + kEntryBytes * n;  // n <= 2^32: no overflow
  if (header_bytes + 8 > file.size()) return why = "shorter than its tensor table", std::nullopt;
  const SourceStamp stored{get_u64(p + 16), get_u64(p + 24), get_u64(p + 32), get_u64(p + 40)};
  if (!(stored == source)) return why = "stale (the model's size, mtime, inode or device changed)", std::nullopt;
  if (get_u64(p + 48) != kRepackCachePayloadOffset || header_bytes + 8 > kRepackCachePayloadOffset) return why = "payload offset", std::nullopt;
  if (get_u64(p + 56) != payload_bytes) return why = "payload size differs from the model's", std::nullopt;
  if (file.size() < kRepackCachePayloadOffset || file.size() - kRepackCachePayloadOffset < payload_bytes) return why = "truncated payload", std::nullopt;
  if (get_u64(p + header_bytes) != repack_cache_header_hash({p, header_bytes})) return why = "header hash mismatch", std::nullopt;
  std::vector<float> scales(n);
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t* e = p + kFixedHeader + kEntryBytes * i;
    float scale;
    std::memcpy(&scale, e + 16, 4);
    if (get_u64(e) != layout[i].offset || get_u64(e + 8) != layout[i].bytes || get_u32(e + 20) != 0) {
      return why = "tensor " + std::to_string(i) + " layout differs from the model's", std::nullopt;
    }
    if (!std::isfinite(scale) || scale <= 0) return why = "tensor " + std::to_string(i) + " has a weight_scale that is not a finite positive number", std::nullopt;
    scales[i] = scale;
  }
  payload_hash = get_u64(p + 64);
  return scales;
}

std::optional<RepackCacheHit> open_repack_cache(const std::string& path, const SourceStamp& source,
                                                const std::vector<CachedTensor>& layout, uint64_t payload_bytes,
                                                ThreadPool& pool, std::string& why) {
  RepackCacheHit hit;
  try {
    hit.map = MappedFile(path);
  } catch (const Error&) {
    why = "no cache file";
    return std::nullopt;
  }
  uint64_t want_hash = 0;
  auto scales = parse_repack_cache_header(hit.map.bytes(), source, layout, payload_bytes, want_hash, why);
  if (!scales) return std::nullopt;
  hit.payload = hit.map.data() + kRepackCachePayloadOffset;
  // Map the payload now, in 2 MiB pages where the page cache has them (decode streams it
  // every token); the hash reads it all anyway.
  hit.huge = hit.map.map_huge(hit.payload, payload_bytes);
  if (repack_cache_hash({hit.payload, payload_bytes}, pool) != want_hash) {
    why = "payload hash mismatch (corrupt)";
    return std::nullopt;
  }
  hit.scales = std::move(*scales);
  return hit;
}

std::string write_repack_cache(const std::string& path, const SourceStamp& source, const std::vector<CachedTensor>& layout,
                               std::span<const uint8_t> payload, ThreadPool& pool) {
  const fs::path dest(path);
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) return "cannot create " + dest.parent_path().string() + ": " + ec.message();
  std::vector<uint8_t> header(kMagic, kMagic + 8);
  put_u32(header, kRepackCacheVersion);
  put_u32(header, static_cast<uint32_t>(layout.size()));
  put_u64(header, source.size);
  put_u64(header, source.mtime_ns);
  put_u64(header, source.inode);
  put_u64(header, source.device);
  put_u64(header, kRepackCachePayloadOffset);
  put_u64(header, payload.size());
  put_u64(header, repack_cache_hash(payload, pool));
  for (const CachedTensor& t : layout) {
    put_u64(header, t.offset);
    put_u64(header, t.bytes);
    uint32_t bits;
    std::memcpy(&bits, &t.weight_scale, 4);
    put_u32(header, bits);
    put_u32(header, 0);
  }
  put_u64(header, repack_cache_header_hash(header));
  if (header.size() > kRepackCachePayloadOffset) return "too many tensors for the header";

  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return "cannot create a file in " + dest.parent_path().string() + ": " + std::strerror(errno);
  const bool ok = write_all(fd, header.data(), header.size(), 0) &&
                  write_all(fd, payload.data(), payload.size(), kRepackCachePayloadOffset);
  const int write_errno = errno;
  if (::close(fd) != 0 || !ok) {
    ::unlink(tmp.c_str());
    return "cannot write " + tmp + ": " + std::strerror(ok ? errno : write_errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return "cannot rename " + tmp + " to " + path + ": " + std::strerror(e);
  }
  return "";
}

}  // namespace tern::model
