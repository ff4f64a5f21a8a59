// Which implementation of each backend entry ran: one relaxed atomic counter per
// implementation, bumped once at the entry of a coarse unit of work (a matmul_rows call, a
// quantized row, an attention tile, a float-op call, a head rows call), never per inner
// loop iteration, so the cost is not measurable. Tests read them to show that a forced
// backend (TERN_KERNEL=scalar) runs no SIMD code, and that the default one does.
//
// The counters are defined in impl_counter.cpp, a file compiled without ISA flags, and are
// constant-initialized (no constructor runs at start-up): an object defined in an AVX2 file
// could run AVX2 code before any CPU check.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace tern::kernels {

struct ImplCounter {
  const char* entry;  // backend entry: "ternary", "quantize", "attention", "float", "head", "q8head"
  const char* impl;   // implementation name, as `tern info --kernels` lists it
  bool simd;          // false only for the plain C++ implementations
  std::atomic<uint64_t> calls{0};

  void bump() { calls.fetch_add(1, std::memory_order_relaxed); }
};

// Every counter: X(variable, entry, implementation, simd), one list for the declarations
// here and the definitions and the registry in impl_counter.cpp. One list for every
// architecture: a counter of an implementation this build lacks (AVX2 on aarch64) exists
// and stays zero, which is what the tests expect of it.
#define TERN_IMPL_COUNTERS(X)                                                  \
  X(ternary_scalar, "ternary", "scalar", false)                                \
  X(ternary_avx2_mad, "ternary", "avx2-mad", true)                             \
  X(ternary_avx2_lut, "ternary", "avx2-lut", true)                             \
  X(ternary_avx512_vnni, "ternary", "avx512-vnni", true)                       \
  X(ternary_avx_vnni, "ternary", "avx-vnni", true)                             \
  X(ternary_amx_int8, "ternary", "amx-int8", true)                             \
  X(ternary_neon_mad, "ternary", "neon-mad", true)                             \
  X(ternary_neon_dotprod, "ternary", "neon-dotprod", true)                     \
  X(ternary_neon_lut, "ternary", "neon-lut", true)                             \
  X(ternary_neon_i8mm, "ternary", "neon-i8mm", true)                           \
  X(quantize_scalar, "quantize", "scalar", false)                              \
  X(quantize_avx2, "quantize", "avx2", true)                                   \
  X(attention_scalar, "attention", "scalar", false)                            \
  X(attention_xsimd, "attention", "xsimd", true)                               \
  X(attention_avx2, "attention", "avx2", true)                                 \
  X(float_scalar, "float", "scalar", false)                                    \
  X(float_xsimd, "float", "xsimd", true)                                       \
  X(head_scalar, "head", "scalar", false)                                      \
  X(head_xsimd, "head", "xsimd", true)                                         \
  X(head_avx2_f16c, "head", "avx2-f16c", true)                                 \
  X(q8head_scalar, "q8head", "scalar", false)                                  \
  X(q8head_avx2, "q8head", "avx2", true)

namespace counters {
#define TERN_DECLARE_COUNTER(var, entry, impl, simd) extern ImplCounter var;
TERN_IMPL_COUNTERS(TERN_DECLARE_COUNTER)
#undef TERN_DECLARE_COUNTER
}  // namespace counters

// Every counter compiled in, and a reset (tests).
const std::vector<ImplCounter*>& all_impl_counters();
void reset_impl_counters();

}  // namespace tern::kernels
