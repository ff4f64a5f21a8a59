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

namespace counters {
extern ImplCounter ternary_scalar;
extern ImplCounter quantize_scalar, attention_scalar, attention_xsimd, float_scalar, float_xsimd;
extern ImplCounter head_scalar, head_xsimd, q8head_scalar;
#if defined(TERN_ARCH_X86)
extern ImplCounter ternary_avx2_mad, ternary_avx2_lut, ternary_avx512_vnni;
extern ImplCounter quantize_avx2, attention_avx2, head_avx2_f16c, q8head_avx2;
#endif
#if defined(TERN_ARCH_ARM)
extern ImplCounter ternary_neon_mad, ternary_neon_dotprod, ternary_neon_lut;
#endif
}  // namespace counters

// Every counter compiled in, and a reset (tests).
const std::vector<ImplCounter*>& all_impl_counters();
void reset_impl_counters();

}  // namespace tern::kernels
