// TERN_T2 packing and element access (layout: kernels/ternary.h).
#include <string>

#include "kernels/ternary.h"
#include "tern/error.h"

namespace tern::kernels {

std::vector<uint8_t> pack_t2(const int8_t* t, int64_t rows, int64_t k) {
  if (rows < 0 || k < 0) throw Error("pack_t2: negative shape " + std::to_string(rows) + "x" + std::to_string(k));
  const int64_t row_bytes = t2_row_bytes(k);
  // Padding elements are weight 0, i.e. code 1 in every bit pair: 0b01010101.
  std::vector<uint8_t> out(static_cast<size_t>(rows * row_bytes), 0x55);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = out.data() + r * row_bytes;
    for (int64_t c = 0; c < k; ++c) {
      const int8_t v = t[r * k + c];
      if (v < -1 || v > 1) {
        throw Error("pack_t2: weight [" + std::to_string(r) + "][" + std::to_string(c) + "] = " +
                    std::to_string(v) + " is not ternary (-1, 0, +1)");
      }
      const int64_t group = c / kT2GroupElems, within = c % kT2GroupElems;
      const int64_t byte = group * kT2GroupBytes + within % 32;
      const int shift = static_cast<int>(within / 32) * 2;
      row[byte] = static_cast<uint8_t>((row[byte] & ~(3 << shift)) | ((v + 1) << shift));
    }
  }
  return out;
}

int8_t t2_get(const TernaryMatrix& w, int64_t row, int64_t col) {
  const int64_t within = col % kT2GroupElems;
  const uint8_t byte = w.data[row * t2_row_bytes(w.k) + col / kT2GroupElems * kT2GroupBytes + within % 32];
  return static_cast<int8_t>(((byte >> ((within / 32) * 2)) & 3) - 1);
}

}  // namespace tern::kernels
