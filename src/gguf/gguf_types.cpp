// The type table and tensor sizes. Every size is computed with overflow checks because the
// dims come straight from an untrusted file.
#include "gguf/gguf_types.h"

#include <array>
#include <limits>

#include "tern/error.h"

namespace tern::gguf {

namespace {

constexpr std::array<TypeTraits, 16> kTypes = {{
    //  type                 name       elems bytes trailer             pads   loadable  row meta
    {TensorType::F32, "F32", 1, 4, 0, false, true},
    {TensorType::F16, "F16", 1, 2, 0, false, true},
    {TensorType::Q4_0, "Q4_0", 32, 18, 0, false, true},
    {TensorType::Q8_0, "Q8_0", 32, 34, 0, false, true},
    {TensorType::Q4_K, "Q4_K", 256, 144, 0, false, true},
    {TensorType::Q6_K, "Q6_K", 256, 210, 0, false, true},
    {TensorType::IQ4_NL, "IQ4_NL", 32, 18, 0, false, true},
    {TensorType::BF16, "BF16", 1, 2, 0, false, true},
    {TensorType::TQ1_0, "TQ1_0", 256, 54, 0, false, true},
    {TensorType::TQ2_0, "TQ2_0", 256, 66, 0, false, true},
    {TensorType::I2_S, "I2_S", 128, 32, kScaleTrailerBytes, false, true},
    // TL1 follows ggml_nbytes' I2_S rule (n/4 + 32); TL2 has its own formula (tl2_nbytes).
    {TensorType::TL1, "TL1", 128, 32, kScaleTrailerBytes, false, false},
    {TensorType::TL2, "TL2", 1, 1, kScaleTrailerBytes, false, false},
    {TensorType::IQ2_BN, "IQ2_BN", 64, 16, 0, false, true, 4},
    {TensorType::TERN_T2, "TERN_T2", 128, 32, kScaleTrailerBytes, true, true},
    {TensorType::TERN_T1, "TERN_T1", 160, 32, kScaleTrailerBytes, true, true},
}};

constexpr uint64_t kMaxElements = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// a * b, or throws naming `what`.
uint64_t mul(uint64_t a, uint64_t b, const std::string& what) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw Error(what + ": tensor size overflows 64 bits");
  return r;
}
uint64_t add(uint64_t a, uint64_t b, const std::string& what) {
  uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw Error(what + ": tensor size overflows 64 bits");
  return r;
}

// bitnet.cpp's ggml_nbytes for TL2 (PEERS.md §4.4), evaluated left to right as C does:
// (ne0 - 256) * ne1 / 3 * 5 / 8 + 256 * ne1 / 2 * 4 / 8, rounded up to 32, plus 32.
uint64_t tl2_nbytes(uint64_t ne0, uint64_t rows, const std::string& what) {
  if (ne0 < 256) throw Error(what + ": TL2 needs rows of at least 256 elements, not " + std::to_string(ne0));
  uint64_t three = mul(mul(ne0 - 256, rows, what) / 3, 5, what) / 8;
  uint64_t two = mul(256, rows, what) / 2 * 4 / 8;
  uint64_t body = add(three, two, what);
  body = add(body, 31, what) / 32 * 32;
  return add(body, kScaleTrailerBytes, what);
}

}  // namespace

std::optional<TypeTraits> type_traits(uint32_t id) {
  for (const TypeTraits& t : kTypes) {
    if (static_cast<uint32_t>(t.type) == id) return t;
  }
  return std::nullopt;
}

const char* type_name(TensorType type) {
  for (const TypeTraits& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return "unknown";
}

std::optional<TensorType> type_from_name(std::string_view name) {
  for (const TypeTraits& t : kTypes) {
    if (name == t.name) return t.type;
  }
  return std::nullopt;
}

uint64_t checked_n_elements(std::span<const uint64_t> dims, const std::string& what) {
  uint64_t n = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) throw Error(what + ": dimension " + std::to_string(i) + " is 0");
    if (__builtin_mul_overflow(n, dims[i], &n) || n > kMaxElements) {
      throw Error(what + ": element count overflows (dims product exceeds 2^63-1)");
    }
  }
  return n;
}

uint64_t tensor_nbytes(TensorType type, std::span<const uint64_t> dims, const std::string& what) {
  std::optional<TypeTraits> traits = type_traits(type);
  if (!traits) throw Error(what + ": unknown tensor type " + std::to_string(static_cast<uint32_t>(type)));
  if (dims.empty()) throw Error(what + ": tensor has no dimensions");
  const uint64_t n = checked_n_elements(dims, what);
  const uint64_t ne0 = dims[0];
  const uint64_t rows = n / ne0;
  if (type == TensorType::TL2) return tl2_nbytes(ne0, rows, what);

  uint64_t blocks_per_row = 0;
  if (traits->pads_rows) {
    blocks_per_row = ne0 / traits->block_elems + (ne0 % traits->block_elems != 0 ? 1 : 0);
  } else {
    if (ne0 % traits->block_elems != 0) {
      throw Error(what + ": row length " + std::to_string(ne0) + " is not a multiple of " +
                  traits->name + "'s block of " + std::to_string(traits->block_elems) + " elements");
    }
    blocks_per_row = ne0 / traits->block_elems;
  }
  const uint64_t row_bytes = add(mul(blocks_per_row, traits->block_bytes, what), traits->row_meta_bytes, what);
  const uint64_t body = mul(row_bytes, rows, what);
  return add(body, traits->trailer_bytes, what);
}

}  // namespace tern::gguf
