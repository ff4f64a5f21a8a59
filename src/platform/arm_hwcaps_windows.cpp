// Windows: built for x86-64 only, where CPUID is read directly; no Arm extensions to report.
#include "platform/arm_hwcaps.h"

namespace tern {

ArmHwcaps arm_hwcaps() { return {}; }

}  // namespace tern
