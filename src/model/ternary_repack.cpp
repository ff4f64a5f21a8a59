#include "model/ternary_repack.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kernels/ternary.h"
#include "model/half.h"
#include "tern/error.h"

namespace tern::model {

using gguf::TensorType;

bool is_foreign_ternary(TensorType type) {
  return type == TensorType::I2_S || type == TensorType::TQ2_0 || type == TensorType::TQ1_0 ||
         type == TensorType::IQ2_BN;
}

float weight_scale_from_f32_scale(float scale) {
  if (scale == 0.0f || !std::isfinite(scale)) return 1.0f;
  const float ws = static_cast<float>(1.0 / static_cast<double>(scale));
  const float ws_bf16 = bf16_to_f32(f32_to_bf16(ws));
  if (static_cast<float>(1.0 / static_cast<double>(ws_bf16)) == scale) return ws_bf16;
  return ws;
}

float weight_scale_from_f16_scale(float d) {
  if (d == 0.0f || !std::isfinite(d)) return 1.0f;
  return static_cast<float>(1.0 / static_cast<double>(d));
}

namespace {

constexpr uint8_t kZeroCodes = 0x55;  // four codes of 1 (= trit 0)

[[noreturn]] void fail(const std::string& file, const gguf::TensorInfo& t, const std::string& what) {
  throw Error(file + ": tensor '" + t.name + "': " + what);
}

// Byte with bit pairs reversed (I2_S puts element p in bits 7:6, TERN_T2 in bits 1:0);
// 0xFF marks bytes that hold the invalid code 3.
std::array<uint8_t, 256> make_i2s_table() {
  std::array<uint8_t, 256> table{};
  for (int b = 0; b < 256; ++b) {
    bool bad = false;
    uint8_t out = 0;
    for (int i = 0; i < 4; ++i) {
      const int code = (b >> (6 - 2 * i)) & 3;
      bad |= code == 3;
      out |= static_cast<uint8_t>(code << (2 * i));
    }
    table[b] = bad ? 0xFF : out;
  }
  return table;
}

bool has_code3(uint8_t b) {
  return ((b & 3) == 3) || (((b >> 2) & 3) == 3) || (((b >> 4) & 3) == 3) || (((b >> 6) & 3) == 3);
}

float repack_i2s(const gguf::TensorInfo& t, uint8_t* dst, const std::string& file) {
  const int64_t k = static_cast<int64_t>(t.dims[0]);
  const int64_t rows = static_cast<int64_t>(t.rows());
  if (k % kernels::kT2GroupElems != 0) fail(file, t, "I2_S row length must be a multiple of 128");
  const uint64_t code_bytes = static_cast<uint64_t>(rows) * static_cast<uint64_t>(k / 4);
  if (t.nbytes < code_bytes + 4) fail(file, t, "I2_S data is too short for its scale");
  float scale;
  std::memcpy(&scale, t.data + code_bytes, sizeof scale);
  if (!std::isfinite(scale)) fail(file, t, "I2_S scale is not finite");
  if (scale == 0.0f) {  // every weight is 0 whatever the codes say
    std::memset(dst, kZeroCodes, code_bytes);
    return 1.0f;
  }
  static const std::array<uint8_t, 256> table = make_i2s_table();
  // Same row stride (k/4 bytes) and group size in both layouts: a byte-wise translation.
  for (uint64_t i = 0; i < code_bytes; ++i) {
    const uint8_t b = table[t.data[i]];
    if (b == 0xFF) fail(file, t, "invalid ternary code 3 at byte " + std::to_string(i));
    dst[i] = b;
  }
  return weight_scale_from_f32_scale(scale);
}

// The tensor's one scale from its per-block f16 scales (0 = all-zero block, ignored).
float common_block_scale(const gguf::TensorInfo& t, uint64_t n_blocks, uint64_t block_bytes,
                         uint64_t d_offset, const std::string& file) {
  uint16_t common = 0;
  for (uint64_t b = 0; b < n_blocks; ++b) {
    uint16_t d;
    std::memcpy(&d, t.data + b * block_bytes + d_offset, sizeof d);
    if ((d & 0x7fff) == 0) continue;
    if (common == 0) {
      common = d;
    } else if (d != common) {
      fail(file, t, "block " + std::to_string(b) + " has scale " + std::to_string(f16_to_f32(d)) +
                        " but block 0 has " + std::to_string(f16_to_f32(common)) +
                        ": tern needs one scale per tensor");
    }
  }
  const float scale = f16_to_f32(common);
  if (!std::isfinite(scale) || scale < 0) fail(file, t, "block scale is not a finite positive number");
  return scale;
}

float repack_tq2(const gguf::TensorInfo& t, uint8_t* dst, const std::string& file) {
  const int64_t k = static_cast<int64_t>(t.dims[0]);
  const int64_t rows = static_cast<int64_t>(t.rows());
  if (k % 256 != 0) fail(file, t, "TQ2_0 row length must be a multiple of 256");
  const uint64_t blocks_per_row = static_cast<uint64_t>(k / 256);
  const uint64_t n_blocks = blocks_per_row * static_cast<uint64_t>(rows);
  constexpr uint64_t kBlock = 66;
  if (t.nbytes < n_blocks * kBlock) fail(file, t, "TQ2_0 data is too short");
  const float scale = common_block_scale(t, n_blocks, kBlock, 64, file);
  // Each 128-element half of a block is exactly one TERN_T2 group (same bit order).
  for (uint64_t b = 0; b < n_blocks; ++b) {
    const uint8_t* src = t.data + b * kBlock;
    uint8_t* out = dst + b * 64;
    uint16_t d;
    std::memcpy(&d, src + 64, sizeof d);
    if ((d & 0x7fff) == 0) {
      std::memset(out, kZeroCodes, 64);
      continue;
    }
    for (int i = 0; i < 64; ++i) {
      if (has_code3(src[i])) fail(file, t, "invalid ternary code 3 in block " + std::to_string(b));
      out[i] = src[i];
    }
  }
  return weight_scale_from_f16_scale(scale);
}

// TQ1_0 trit n (0 = most significant) of a stored byte q: ((uint8)(q * 3^n) * 3) >> 8.
inline int tq1_trit(uint8_t q, int n) {
  static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  const uint8_t v = static_cast<uint8_t>(q * kPow3[n]);
  return (static_cast<uint16_t>(v) * 3) >> 8;
}

// Decodes one 256-element TQ1_0 block into trits (code - 1).
void decode_tq1_block(const uint8_t* blk, int8_t* out) {
  const uint8_t* qs = blk;       // 48 bytes
  const uint8_t* qh = blk + 48;  // 4 bytes
  for (int m = 0; m < 32; ++m)
    for (int n = 0; n < 5; ++n) out[m + 32 * n] = static_cast<int8_t>(tq1_trit(qs[m], n) - 1);
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 5; ++n) out[160 + m + 16 * n] = static_cast<int8_t>(tq1_trit(qs[32 + m], n) - 1);
  for (int j = 0; j < 4; ++j)
    for (int n = 0; n < 4; ++n) out[240 + j + 4 * n] = static_cast<int8_t>(tq1_trit(qh[j], n) - 1);
}

float repack_tq1(const gguf::TensorInfo& t, uint8_t* dst, const std::string& file) {
  const int64_t k = static_cast<int64_t>(t.dims[0]);
  const int64_t rows = static_cast<int64_t>(t.rows());
  if (k % 256 != 0) fail(file, t, "TQ1_0 row length must be a multiple of 256");
  const int64_t blocks_per_row = k / 256;
  const uint64_t n_blocks = static_cast<uint64_t>(blocks_per_row) * static_cast<uint64_t>(rows);
  constexpr uint64_t kBlock = 54;
  if (t.nbytes < n_blocks * kBlock) fail(file, t, "TQ1_0 data is too short");
  const float scale = common_block_scale(t, n_blocks, kBlock, 52, file);
  // Decode a few rows at a time into trits and pack them with the kernels' packer.
  constexpr int64_t kChunk = 64;
  std::vector<int8_t> trits(static_cast<size_t>(kChunk * k));
  const int64_t row_bytes = kernels::t2_row_bytes(k);
  for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
    const int64_t n = std::min(kChunk, rows - r0);
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t b = 0; b < blocks_per_row; ++b) {
        const uint8_t* blk = t.data + static_cast<uint64_t>((r0 + r) * blocks_per_row + b) * kBlock;
        int8_t* out = trits.data() + r * k + b * 256;
        uint16_t d;
        std::memcpy(&d, blk + 52, sizeof d);
        if ((d & 0x7fff) == 0) {
          std::memset(out, 0, 256);
        } else {
          decode_tq1_block(blk, out);
        }
      }
    }
    const std::vector<uint8_t> packed = kernels::pack_t2(trits.data(), n, k);
    std::memcpy(dst + r0 * row_bytes, packed.data(), packed.size());
  }
  return weight_scale_from_f16_scale(scale);
}

// A float with enough digits to tell any two apart (error messages).
std::string exact(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return buf;
}

constexpr int64_t kIq2bnBlockElems = 64;
constexpr int64_t kIq2bnBlockBytes = 16;

// True when every code of an IQ2_BN row's blocks is 1 (trit 0).
bool iq2bn_row_is_zero(const uint8_t* codes, int64_t n_bytes) {
  for (int64_t i = 0; i < n_bytes; ++i)
    if (codes[i] != kZeroCodes) return false;
  return true;
}

float repack_iq2bn(const gguf::TensorInfo& t, uint8_t* dst, const std::string& file) {
  const int64_t k = static_cast<int64_t>(t.dims[0]);
  const int64_t rows = static_cast<int64_t>(t.rows());
  if (k % kIq2bnBlockElems != 0) fail(file, t, "IQ2_BN row length must be a multiple of 64");
  const int64_t code_bytes = k / kIq2bnBlockElems * kIq2bnBlockBytes;
  const int64_t src_row_bytes = 4 + code_bytes;  // ggml_row_size: row meta, then the blocks
  if (t.nbytes < static_cast<uint64_t>(rows) * static_cast<uint64_t>(src_row_bytes)) fail(file, t, "IQ2_BN data is too short");
  auto row_scale = [&](int64_t r) {
    float d;
    std::memcpy(&d, t.data + r * src_row_bytes, sizeof d);
    return d;
  };
  // ik's quantizer writes each row's max |w| as its scale. tern's BitLinear has one scale per
  // tensor, so every row that holds a non-zero weight must carry the same one. A row with
  // scale 0 is zero whatever its codes say (ik writes code +1 everywhere for an all-zero row).
  float common = 0.0f;
  int64_t common_row = -1;
  for (int64_t r = 0; r < rows; ++r) {
    const float d = row_scale(r);
    if (!std::isfinite(d) || d < 0.0f) {
      fail(file, t, "row " + std::to_string(r) + " has scale " + exact(d) + ", not a finite non-negative number");
    }
    if (d == 0.0f || iq2bn_row_is_zero(t.data + r * src_row_bytes + 4, code_bytes)) continue;
    if (common_row < 0) {
      common = d;
      common_row = r;
    } else if (d != common) {
      fail(file, t, "row " + std::to_string(r) + " has scale " + exact(d) + " but row " + std::to_string(common_row) +
                        " has " + exact(common) + ": tern needs one scale per tensor");
    }
  }
  // Decode a few rows at a time into trits (code - 1) and pack them with the kernels' packer:
  // IQ2_BN interleaves by 16 within 64 elements, TERN_T2 by 32 within 128.
  constexpr int64_t kChunk = 64;
  constexpr int64_t kStride = kIq2bnBlockElems / 4;
  std::vector<int8_t> trits(static_cast<size_t>(kChunk * k));
  const int64_t dst_row_bytes = kernels::t2_row_bytes(k);
  for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
    const int64_t n = std::min(kChunk, rows - r0);
    for (int64_t r = 0; r < n; ++r) {
      const uint8_t* src = t.data + (r0 + r) * src_row_bytes;
      int8_t* out = trits.data() + r * k;
      if (row_scale(r0 + r) == 0.0f) {
        std::memset(out, 0, static_cast<size_t>(k));
        continue;
      }
      const uint8_t* codes = src + 4;
      for (int64_t b = 0; b < k / kIq2bnBlockElems; ++b) {
        const uint8_t* blk = codes + b * kIq2bnBlockBytes;
        int8_t* y = out + b * kIq2bnBlockElems;
        for (int64_t j = 0; j < kStride; ++j) {
          for (int s = 0; s < 4; ++s) {
            const int code = (blk[j] >> (2 * s)) & 3;
            if (code == 3) {
              fail(file, t, "invalid ternary code 3 in row " + std::to_string(r0 + r) + " at element " +
                                std::to_string(b * kIq2bnBlockElems + j + s * kStride));
            }
            y[j + s * kStride] = static_cast<int8_t>(code - 1);
          }
        }
      }
    }
    const std::vector<uint8_t> packed = kernels::pack_t2(trits.data(), n, k);
    std::memcpy(dst + r0 * dst_row_bytes, packed.data(), packed.size());
  }
  return weight_scale_from_f32_scale(common);
}

}  // namespace

float repack_to_t2(const gguf::TensorInfo& t, uint8_t* dst, const std::string& file) {
  if (t.dims.size() != 2) fail(file, t, "expected 2 dimensions");
  switch (t.type) {
    case TensorType::I2_S: return repack_i2s(t, dst, file);
    case TensorType::TQ2_0: return repack_tq2(t, dst, file);
    case TensorType::TQ1_0: return repack_tq1(t, dst, file);
    case TensorType::IQ2_BN: return repack_iq2bn(t, dst, file);
    default: fail(file, t, std::string("type ") + gguf::type_name(t.type) + " is not a foreign ternary type");
  }
}

}  // namespace tern::model
