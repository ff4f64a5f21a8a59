// Bit-exact conversions between float32 and the 16-bit float formats of checkpoints and
// GGUF files. bf16 -> f32 is exact; f32 -> f16 rounds to nearest, ties to even (as ggml's
// and numpy's conversions do), overflowing to +-inf. Done in integers so the result does
// not depend on the compiler's or the CPU's float16 support.
#pragma once

#include <cstdint>
#include <cstring>

namespace tern::hf {

inline float bits_to_f32(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline uint32_t f32_to_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// bf16 is the top half of a float32.
inline float bf16_to_f32(uint16_t h) { return bits_to_f32(static_cast<uint32_t>(h) << 16); }

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return bits_to_f32(sign | 0x7f800000u | (mant << 13));  // inf / NaN
  if (exp != 0) return bits_to_f32(sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0) return bits_to_f32(sign);  // +-0
  // Subnormal: normalize the mantissa.
  int e = 113;
  while ((mant & 0x400) == 0) {
    mant <<= 1;
    --e;
  }
  return bits_to_f32(sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3ff) << 13));
}

inline uint16_t f32_to_f16(float f) {
  const uint32_t x = f32_to_bits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00);  // NaN (quiet)
  if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00);  // >= 65520 rounds to inf
  const uint32_t e = ax >> 23;
  if (e < 113) {  // below 2^-14: f16 subnormal (unit 2^-24) or zero
    const uint32_t shift = 126 - e;
    if (shift > 24) return sign;  // < 2^-25 (or exactly: tie to even 0)
    const uint32_t m = (ax & 0x7fffffu) | 0x800000u;
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = (ax - (112u << 23)) >> 13;  // rebias exponent, keep 10 mantissa bits
  const uint32_t rem = ax & 0x1fffu;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) ++r;  // carry may reach the exponent: fine
  return static_cast<uint16_t>(sign | r);
}

// Little-endian loads from possibly unaligned checkpoint bytes.
inline uint16_t load_u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline float load_f32(const uint8_t* p) {
  uint32_t b = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
               static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  return bits_to_f32(b);
}

}  // namespace tern::hf
