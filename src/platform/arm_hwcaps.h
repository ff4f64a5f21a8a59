// Which Arm SIMD extensions the OS reports (runtime/cpu_features.cpp asks on aarch64 only;
// x86 reads CPUID itself, the same on every OS). Linux: the auxiliary vector's HWCAP bits
// (arm_hwcaps_linux.cpp).
#pragma once

namespace tern {

struct ArmHwcaps {
  bool neon = false;
  bool dotprod = false;
  bool fp16 = false;  // FP16 scalar and vector arithmetic
  bool i8mm = false;
};

ArmHwcaps arm_hwcaps();

}  // namespace tern
