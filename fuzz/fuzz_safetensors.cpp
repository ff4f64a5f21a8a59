// libFuzzer target: the safetensors header validator. Any input must either parse or throw
// tern::Error; a parsed file's tensor views must lie inside the input (every byte is read
// here, so ASan catches a view that escapes), and float reads must be safe.
#include <cstddef>
#include <cstdint>
#include <span>

#include "hf/safetensors.h"
#include "hf/ternary_source.h"
#include "tern/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto f = tern::hf::SafetensorsFile::parse(std::span<const uint8_t>(data, size), "fuzz.safetensors");
    unsigned sum = 0;
    for (const auto& t : f.tensors()) {
      for (uint8_t b : t.data) sum += b;
      if ((t.dtype == tern::hf::Dtype::BF16 || t.dtype == tern::hf::Dtype::F16 || t.dtype == tern::hf::Dtype::F32) &&
          t.n_elements() > 0) {
        sum += static_cast<unsigned>(tern::hf::load_float_element(t, t.n_elements() - 1) != 0);
      }
      if (t.n_elements() == 1) {
        try {
          (void)tern::hf::read_scale_scalar(t);
        } catch (const tern::Error&) {
        }
      }
    }
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const tern::Error&) {
  }
  return 0;
}
