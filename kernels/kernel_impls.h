// Internal: the kernel objects each ISA file defines, for dispatch.cpp and the tests.
// Only files compiled for an ISA define its objects; dispatch.cpp references them under
// the same TERN_ARCH_* macros, and checks Kernel::supported() before any call.
#pragma once

#include "kernels/ternary.h"

namespace tern::kernels {

extern const Kernel kScalarKernel;
#if defined(TERN_ARCH_X86)
extern const Kernel kAvx2MadKernel;
extern const Kernel kAvx2LutKernel;
float quantize_row_i8_avx2(const float* x, int64_t n, int64_t padded_n, int8_t* q);
#endif
#if defined(TERN_ARCH_ARM)
extern const Kernel kNeonMadKernel;
extern const Kernel kNeonDotprodKernel;
extern const Kernel kNeonLutKernel;
#endif

// Fills acts.sums (per token: sum of its kp int8 values). Shared by the MAD kernels.
void compute_token_sums(PreparedActs& acts);

}  // namespace tern::kernels
