// Linux: getauxval(AT_HWCAP / AT_HWCAP2). On other CPUs there is nothing to report.
#include "platform/arm_hwcaps.h"

#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#ifndef HWCAP2_I8MM  // Linux >= 5.10 uapi headers have it; the bit is ABI
#define HWCAP2_I8MM (1 << 13)
#endif
#endif

namespace tern {

ArmHwcaps arm_hwcaps() {
  ArmHwcaps f;
#if defined(__aarch64__)
  const unsigned long hw = getauxval(AT_HWCAP);
  f.neon = (hw & HWCAP_ASIMD) != 0;
  f.dotprod = (hw & HWCAP_ASIMDDP) != 0;
  f.fp16 = (hw & HWCAP_FPHP) != 0 && (hw & HWCAP_ASIMDHP) != 0;
  f.i8mm = (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0;
#endif
  return f;
}

}  // namespace tern
