// Conversions for checkpoint and GGUF bytes: the 16-bit float formats (one implementation,
// kernels/float_ops.h: bf16 -> f32 exact, f32 -> f16 round to nearest even, overflowing to
// +-inf) and little-endian loads from possibly unaligned checkpoint bytes.
#pragma once

#include <bit>
#include <cstdint>

#include "kernels/float_ops.h"

namespace tern::hf {

using kernels::bf16_to_f32;
using kernels::f16_to_f32;
using kernels::f32_to_f16;

inline float bits_to_f32(uint32_t bits) { return std::bit_cast<float>(bits); }
inline uint32_t f32_to_bits(float f) { return std::bit_cast<uint32_t>(f); }

inline uint16_t load_u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline float load_f32(const uint8_t* p) {
  uint32_t b = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
               static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  return bits_to_f32(b);
}

}  // namespace tern::hf
