#include "runtime/cpu_features.h"

#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

#include "platform/cpu_state.h"
#endif
#if defined(__aarch64__)
#include "platform/arm_hwcaps.h"
#endif

namespace tern {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// XCR0 says which register files the OS saves on context switch: without it the
// instructions exist but must not be used.
unsigned long long read_xcr0() {
  unsigned int lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}

// AMX's tile registers are 8 KiB of state the OS saves only for processes that ask
// (platform/cpu_state.h); without the permission the first tile instruction faults. Asked
// once here, before any kernel is chosen.
bool amx_int8_usable() {
  unsigned int a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool tile = (d >> 24) & 1, int8 = (d >> 25) & 1;
  if (!tile || !int8) return false;
  if ((read_xcr0() & 0x60000) != 0x60000) return false;  // XTILECFG + XTILEDATA
  return request_amx_tile_state();
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned int a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  const bool avx = (c >> 28) & 1;
  f.fma = (c >> 12) & 1;
  f.f16c = (c >> 29) & 1;
  bool ymm_ok = false, zmm_ok = false;
  if (osxsave) {
    const unsigned long long xcr0 = read_xcr0();
    ymm_ok = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
    zmm_ok = ymm_ok && (xcr0 & 0xE0) == 0xE0;  // opmask + ZMM hi256 + hi16 ZMM
  }
  if (!ymm_ok || !avx) {
    f.fma = f.f16c = false;
    return f;
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = (b >> 5) & 1;
    f.bmi2 = (b >> 8) & 1;
    if (zmm_ok) {
      f.avx512f = (b >> 16) & 1;
      f.avx512bw = (b >> 30) & 1;
      f.avx512vl = (b >> 31) & 1;
      f.avx512vnni = (c >> 11) & 1;
    }
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avxvnni = (a >> 4) & 1;
  f.amx_int8 = amx_int8_usable();
  return f;
}
#elif defined(__aarch64__)
CpuFeatures detect() {
  CpuFeatures f;
  const ArmHwcaps hw = arm_hwcaps();  // the OS says which extensions it supports
  f.neon = hw.neon;
  f.dotprod = hw.dotprod;
  f.fp16 = hw.fp16;
  f.i8mm = hw.i8mm;
  return f;
}
#else
CpuFeatures detect() { return {}; }
#endif

}  // namespace

std::string CpuFeatures::summary() const {
#if defined(__x86_64__)
  std::string s = "x86-64:";
#elif defined(__aarch64__)
  std::string s = "aarch64:";
#else
  std::string s = "generic:";
#endif
  const std::pair<bool, const char*> flags[] = {
      {avx2, "avx2"},       {fma, "fma"},         {f16c, "f16c"},   {bmi2, "bmi2"},
      {avx512f, "avx512f"}, {avx512bw, "avx512bw"}, {avx512vnni, "avx512vnni"},
      {avxvnni, "avxvnni"}, {amx_int8, "amx-int8"}, {neon, "neon"},       {dotprod, "dotprod"}, {i8mm, "i8mm"}, {fp16, "fp16"}};
  bool any = false;
  for (const auto& [on, name] : flags) {
    if (!on) continue;
    s += ' ';
    s += name;
    any = true;
  }
  if (!any) s += " (no SIMD extensions used by tern)";
  return s;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace tern
