// macOS: the kernel's hw.optional.* sysctls. hw.optional.arm.FEAT_* arrived in macOS 12;
// where one is absent (macOS 11) the features every arm64 Mac has (Apple M1 and later:
// Advanced SIMD, dotprod, FP16) are taken as present, and i8mm (M2 and later) as absent.
#include "platform/arm_hwcaps.h"

#include <sys/sysctl.h>

namespace tern {
namespace {

// 1 or 0 as the sysctl says; `absent` when this macOS does not have it.
bool sysctl_flag(const char* name, bool absent) {
  int value = 0;
  size_t size = sizeof value;
  if (sysctlbyname(name, &value, &size, nullptr, 0) != 0) return absent;
  return value != 0;
}

}  // namespace

ArmHwcaps arm_hwcaps() {
  ArmHwcaps f;
#if defined(__aarch64__)
  f.neon = sysctl_flag("hw.optional.AdvSIMD", true);
  f.dotprod = sysctl_flag("hw.optional.arm.FEAT_DotProd", true);
  f.fp16 = sysctl_flag("hw.optional.arm.FEAT_FP16", true);
  f.i8mm = sysctl_flag("hw.optional.arm.FEAT_I8MM", false);
#endif
  return f;
}

}  // namespace tern
