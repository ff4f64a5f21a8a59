// GGUF tensor types: one table of traits (block size, bytes per block, name), one row per
// type. Ids 0..39 are ggml's and bitnet.cpp's; tern's own types use ids far outside both
// ranges so no file from either project can be mistaken for ours.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace tern::gguf {

enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
  Q6_K = 14,
  BF16 = 30,
  TQ1_0 = 34,  // llama.cpp: 256-element blocks, base-3 packing, f16 block scale (1.6875 bpw)
  TQ2_0 = 35,  // llama.cpp: 256-element blocks, 2-bit codes, f16 block scale (2.0625 bpw)
  I2_S = 36,   // bitnet.cpp: 2-bit codes in 128-element groups, one f32 scale after the data
  TL1 = 38,    // bitnet.cpp ARM LUT (recognised, not loadable)
  TL2 = 39,    // bitnet.cpp x86 LUT (recognised, not loadable)
  // tern's own ternary types (see kernels/ternary_layout.h for the byte layouts).
  TERN_T2 = 0x7E524E01,  // 2-bit codes, rows padded to 128, per-tensor f32 scale trailer
  TERN_T1 = 0x7E524E02,  // 1.6-bit base-3 codes, rows padded to 256, per-tensor f32 scale trailer
};

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
};

// The traits of a type id, or nullopt for an id tern does not know.
std::optional<TypeTraits> type_traits(uint32_t id);
const char* type_name(TensorType type);

// Bytes of a tensor of `type` with ggml dims (dims[0] = row length, the fastest axis).
// Throws tern::Error (with `what` as the prefix) on overflow or a row length the type
// cannot hold.
uint64_t tensor_nbytes(TensorType type, std::span<const uint64_t> dims, const std::string& what);

}  // namespace tern::gguf
