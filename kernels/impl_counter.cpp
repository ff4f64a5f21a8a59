// The implementation counters (impl_counter.h), all in one file without ISA flags.
#include "kernels/impl_counter.h"

namespace tern::kernels {
namespace counters {

ImplCounter ternary_scalar{"ternary", "scalar", false};
ImplCounter quantize_scalar{"quantize", "scalar", false};
ImplCounter attention_scalar{"attention", "scalar", false};
ImplCounter attention_xsimd{"attention", "xsimd", true};
ImplCounter float_scalar{"float", "scalar", false};
ImplCounter float_xsimd{"float", "xsimd", true};
ImplCounter head_scalar{"head", "scalar", false};
ImplCounter head_xsimd{"head", "xsimd", true};
ImplCounter q8head_scalar{"q8head", "scalar", false};
#if defined(TERN_ARCH_X86)
ImplCounter ternary_avx2_mad{"ternary", "avx2-mad", true};
ImplCounter ternary_avx2_lut{"ternary", "avx2-lut", true};
ImplCounter ternary_avx512_vnni{"ternary", "avx512-vnni", true};
ImplCounter quantize_avx2{"quantize", "avx2", true};
ImplCounter attention_avx2{"attention", "avx2", true};
ImplCounter head_avx2_f16c{"head", "avx2-f16c", true};
ImplCounter q8head_avx2{"q8head", "avx2", true};
#endif
#if defined(TERN_ARCH_ARM)
ImplCounter ternary_neon_mad{"ternary", "neon-mad", true};
ImplCounter ternary_neon_dotprod{"ternary", "neon-dotprod", true};
ImplCounter ternary_neon_lut{"ternary", "neon-lut", true};
#endif

}  // namespace counters

const std::vector<ImplCounter*>& all_impl_counters() {
  using namespace counters;
  static const std::vector<ImplCounter*> all = {
      &ternary_scalar, &quantize_scalar, &attention_scalar, &attention_xsimd, &float_scalar, &float_xsimd,
      &head_scalar,    &head_xsimd,      &q8head_scalar,
#if defined(TERN_ARCH_X86)
      &ternary_avx2_mad, &ternary_avx2_lut, &ternary_avx512_vnni, &quantize_avx2, &attention_avx2, &head_avx2_f16c,
      &q8head_avx2,
#endif
#if defined(TERN_ARCH_ARM)
      &ternary_neon_mad, &ternary_neon_dotprod, &ternary_neon_lut,
#endif
  };
  return all;
}

void reset_impl_counters() {
  for (ImplCounter* c : all_impl_counters()) c->calls.store(0, std::memory_order_relaxed);
}

}  // namespace tern::kernels
