// TERN_T1 packing, unpacking and element access (layout: kernels/ternary.h).
#include <string>

#include "kernels/ternary.h"
#include "tern/error.h"

namespace tern::kernels {

const char* ternary_format_name(TernaryFormat f) { return f == TernaryFormat::T1 ? "TERN_T1" : "TERN_T2"; }

std::vector<uint8_t> pack_t1(const int8_t* t, int64_t rows, int64_t k) {
  if (rows < 0 || k < 0) throw Error("pack_t1: negative shape " + std::to_string(rows) + "x" + std::to_string(k));
  const int64_t row_bytes = t1_row_bytes(k);
  std::vector<uint8_t> out(static_cast<size_t>(rows * row_bytes));
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t* src = t + r * k;
    uint8_t* row = out.data() + r * row_bytes;
    for (int64_t byte = 0; byte < row_bytes; ++byte) {
      const int64_t group = byte / kT1GroupBytes, m = byte % kT1GroupBytes;
      uint8_t codes[kT1TritsPerByte];
      for (int i = 0; i < kT1TritsPerByte; ++i) {
        const int64_t c = group * kT1GroupElems + i * 32 + m;
        const int8_t v = c < k ? src[c] : 0;  // padding: weight 0
        if (v < -1 || v > 1) {
          throw Error("pack_t1: weight [" + std::to_string(r) + "][" + std::to_string(c) + "] = " +
                      std::to_string(v) + " is not ternary (-1, 0, +1)");
        }
        codes[i] = static_cast<uint8_t>(v + 1);
      }
      row[byte] = t1_encode_byte(codes);
    }
  }
  return out;
}

int8_t t1_get(const TernaryMatrix& w, int64_t row, int64_t col) {
  const int64_t within = col % kT1GroupElems;
  const uint8_t byte = w.data[row * t1_row_bytes(w.k) + col / kT1GroupElems * kT1GroupBytes + within % 32];
  return static_cast<int8_t>(t1_decode_digit(byte, static_cast<int>(within / 32)) - 1);
}

std::vector<int8_t> unpack_t1(const TernaryMatrix& w) {
  std::vector<int8_t> t(static_cast<size_t>(w.rows * w.k));
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.k; ++c) t[static_cast<size_t>(r * w.k + c)] = t1_get(w, r, c);
  return t;
}

}  // namespace tern::kernels
