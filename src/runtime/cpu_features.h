// What the CPU we run on can do, read once from cpuid (x86) or getauxval (aarch64).
// The backend table (kernels/backend.cpp) asks this; `tern info` prints summary().
#pragma once

#include <string>

namespace tern {

struct CpuFeatures {
  // x86
  bool avx2 = false;      // also requires the OS to save YMM state (XGETBV)
  bool fma = false;
  bool f16c = false;
  bool bmi2 = false;
  bool avx512f = false;   // also requires the OS to save ZMM state
  bool avx512bw = false;
  bool avx512vl = false;  // the ymm/xmm forms of AVX-512 instructions (the VNNI kernel uses them)
  bool avx512vnni = false;
  bool avxvnni = false;
  // AMX-TILE + AMX-INT8 with the OS saving the tile state and, on Linux, this process
  // granted its use (arch_prctl ARCH_REQ_XCOMP_PERM, asked for once at detection).
  bool amx_int8 = false;
  // aarch64
  bool neon = false;      // HWCAP_ASIMD
  bool dotprod = false;   // HWCAP_ASIMDDP (sdot/udot)
  bool i8mm = false;      // HWCAP2_I8MM (smmla/ummla int8 matrix multiply-accumulate)
  bool fp16 = false;      // HWCAP_FPHP + ASIMDHP

  // What the x86 float kernels (F16 and Q8_0 lm_head GEMV) are compiled for: AVX2 + FMA + F16C.
  bool avx2_fma_f16c() const { return avx2 && fma && f16c; }

  // One line, e.g. "x86-64: avx2 fma f16c bmi2 avx512f avx512bw avx512vnni".
  std::string summary() const;
};

// Detected once (thread-safe static), then cached.
const CpuFeatures& cpu_features();

}  // namespace tern
