#include "runtime/cpu_features.h"

#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif
#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#ifndef HWCAP2_I8MM  // Linux >= 5.10 uapi headers have it; the bit is ABI
#define HWCAP2_I8MM (1 << 13)
#endif
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

// AMX's tile registers are 8 KiB of state the OS saves only for processes that ask (Linux
// since 5.16: arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)); without the permission
// the first tile instruction faults. Asked once here, before any kernel is chosen.
bool amx_int8_usable() {
  unsigned int a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool tile = (d >> 24) & 1, int8 = (d >> 25) & 1;
  if (!tile || !int8) return false;
  if ((read_xcr0() & 0x60000) != 0x60000) return false;  // XTILECFG + XTILEDATA
#if defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return ::syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;  // no way to ask for the tile state here: never use it
#endif
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
  const unsigned long hw = getauxval(AT_HWCAP);
  f.neon = (hw & HWCAP_ASIMD) != 0;
  f.dotprod = (hw & HWCAP_ASIMDDP) != 0;
  f.fp16 = (hw & HWCAP_FPHP) != 0 && (hw & HWCAP_ASIMDHP) != 0;
  f.i8mm = (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0;
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
