// GGUF tensor types: one table of traits (block size, bytes per block, name), one row per
// type. Ids 0..39 are ggml's and bitnet.cpp's, 135 is ik_llama.cpp's IQ2_BN; tern's own
// types use ids far outside these ranges so no peer's file can be mistaken for ours.
//
// Which id means what (bytes for a tensor of ggml dims [ne0, ne1, ...], rows = ne1*ne2*...):
//   0  F32      1 element per block, 4 bytes
//   1  F16      1 element, 2 bytes (IEEE half)
//   2  Q4_0     32 elements, 18 bytes (f16 scale + 16 bytes of 4-bit codes)
//   8  Q8_0     32 elements, 34 bytes (f16 scale + 32 int8)
//   12 Q4_K     256 elements, 144 bytes (f16 d, f16 dmin, 12 bytes of 6-bit sub-block scales
//               and mins, 128 bytes of 4-bit codes; layout in kernels/ggml_blocks.h)
//   14 Q6_K     256 elements, 210 bytes
//   20 IQ4_NL   32 elements, 18 bytes (f16 scale + 16 bytes of 4-bit indices into a
//               non-linear table; kernels/ggml_blocks.h)
//   30 BF16     1 element, 2 bytes (bfloat16)
//   34 TQ1_0    256 elements, 54 bytes (llama.cpp; 48 B of 5 trits/byte, 4 B of 4 trits, f16 d)
//   35 TQ2_0    256 elements, 66 bytes (llama.cpp; 64 B of 2-bit codes, f16 d)
//   36 I2_S     bitnet.cpp: n_elements/4 bytes of 2-bit codes (128-element groups of 32 B),
//               then 32 bytes whose first 4 are the f32 tensor scale (multiplies). ne0 must be
//               a multiple of 128 (the peer kernel addresses row r at r*ne0/4).
//   38 TL1      bitnet.cpp ARM LUT: size n/4 + 32 as in ggml_nbytes; recognised, not loadable.
//   39 TL2      bitnet.cpp x86 LUT: size per bitnet.cpp's ggml_nbytes (PEERS.md §4.4);
//               recognised, not loadable.
//   135 IQ2_BN  ik_llama.cpp: each row is an f32 scale (multiplies; ik's "row meta" of 4
//               bytes) followed by ne0/64 blocks of 16 bytes of 2-bit codes t+1 (byte j of a
//               block: elements j, j+16, j+32, j+48 in bits 1:0, 3:2, 5:4, 7:6). ne0 must be a
//               multiple of 64. Row r starts at r * (4 + ne0/4) bytes (ggml_row_size).
//   0x7E524E01 TERN_T2  tern: rows padded with zeros to a multiple of 128 elements, 32 bytes
//               per 128 (2-bit codes t+1, layout in kernels/ternary.h), row r at r*Kp/4; then a
//               32-byte trailer: bytes 0..3 = f32 weight_scale, which DIVIDES
//               (out = y / (s * weight_scale)); bytes 4..31 zero.
//   0x7E524E02 TERN_T1  tern: rows padded with zeros to a multiple of 160 elements, 32 bytes
//               per 160 (5 base-3 digits per byte, 1.6 bpw, layout in kernels/ternary.h), row r
//               at r*Kt/5; then the same 32-byte trailer as TERN_T2 (f32 weight_scale, divides).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tern::gguf {

enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
  Q4_K = 12,
  Q6_K = 14,
  IQ4_NL = 20,
  BF16 = 30,
  TQ1_0 = 34,  // llama.cpp: 256-element blocks, base-3 packing, f16 block scale (1.6875 bpw)
  TQ2_0 = 35,  // llama.cpp: 256-element blocks, 2-bit codes, f16 block scale (2.0625 bpw)
  I2_S = 36,   // bitnet.cpp: 2-bit codes in 128-element groups, one f32 scale after the data
  TL1 = 38,    // bitnet.cpp ARM LUT (recognised, not loadable)
  TL2 = 39,    // bitnet.cpp x86 LUT (recognised, not loadable)
  IQ2_BN = 135,  // ik_llama.cpp: per-row f32 scale, then 64-element blocks of 2-bit codes
  // tern's own ternary types (byte layouts above and in kernels/ternary.h).
  TERN_T2 = 0x7E524E01,  // 2-bit codes, rows padded to 128, per-tensor f32 scale trailer
  TERN_T1 = 0x7E524E02,  // 1.6-bit base-3 codes, rows padded to 160, per-tensor f32 scale trailer
};

// Size of the per-tensor trailer of I2_S, TERN_T2 and TERN_T1 (f32 scale + padding).
inline constexpr uint32_t kScaleTrailerBytes = 32;

struct TypeTraits {
  TensorType type;
  const char* name;
  // Elements per block and bytes per block, for types whose size is rows x blocks.
  uint32_t block_elems;
  uint32_t block_bytes;
  // Types with a per-tensor trailer (I2_S, TERN_*) add this many bytes after the rows.
  uint32_t trailer_bytes;
  // Rows are padded up to a multiple of block_elems (tern's types) instead of required to be.
  bool pads_rows;
  // False for types tern can describe but never computes with (TL1, TL2).
  bool loadable = true;
  // Bytes in front of each row (ik_llama.cpp's row_meta_size: IQ2_BN's f32 row scale).
  uint32_t row_meta_bytes = 0;
};

// The traits of a type id, or nullopt for an id tern does not know.
std::optional<TypeTraits> type_traits(uint32_t id);
inline std::optional<TypeTraits> type_traits(TensorType type) {
  return type_traits(static_cast<uint32_t>(type));
}
// "F32", "I2_S", "TERN_T2", ...; "unknown" for an id tern does not know.
const char* type_name(TensorType type);
// The type named `name` (exactly as type_name prints it), or nullopt.
std::optional<TensorType> type_from_name(std::string_view name);

// Bytes of a tensor of `type` with ggml dims (dims[0] = row length, the fastest axis).
// Throws tern::Error (with `what` as the prefix) on overflow or a row length the type
// cannot hold.
uint64_t tensor_nbytes(TensorType type, std::span<const uint64_t> dims, const std::string& what);

// Product of dims, throwing tern::Error (`what` as the prefix) if it overflows int64 or a
// dim is zero.
uint64_t checked_n_elements(std::span<const uint64_t> dims, const std::string& what);

}  // namespace tern::gguf
