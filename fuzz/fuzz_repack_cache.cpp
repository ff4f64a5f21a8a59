// libFuzzer target for the repack cache header parser (src/model/repack_cache.h): any bytes
// must be accepted or refused with a reason, never read outside the file. The input is the
// start of a file as large as a real one (header + payload), and its header hash is fixed
// up when it is long enough, so the fuzzer gets past the hash to the tensor table.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "model/repack_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tern::model;
  static const std::vector<CachedTensor> layout = {{0, 100, 0}, {128, 120, 0}, {256, 64, 0}};
  constexpr uint64_t kPayload = 320;
  constexpr uint64_t kHeader = 72 + 24 * 3;
  const SourceStamp stamp{1, 2, 3, 4};
  if (size > kRepackCachePayloadOffset + kPayload + 64) return 0;
  std::vector<uint8_t> file(kRepackCachePayloadOffset + kPayload);
  std::memcpy(file.data(), data, std::min<size_t>(size, file.size()));
  if (size >= 8 && (data[0] & 1)) file.resize(size);  // also the input as the whole file
  if (file.size() >= kHeader + 8) {
    const uint64_t h = repack_cache_header_hash({file.data(), kHeader});
    std::memcpy(file.data() + kHeader, &h, 8);
  }
  uint64_t payload_hash = 0;
  std::string why;
  const auto scales = parse_repack_cache_header(file, stamp, layout, kPayload, payload_hash, why);
  if (scales && scales->size() != layout.size()) __builtin_trap();
  return 0;
}
