// Per-thread scratch memory for the GEMM kernels' unpacked codes and re-laid-out
// activations: 64-byte aligned (aligned zmm and tile loads), grown to the largest request,
// then reused, so a GEMM call allocates nothing after a thread's first. Each use has its own
// buffer (the enum), so one kernel's buffer is never handed to another it calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tern::kernels {

enum class ScratchUse { Avx512Codes, AmxCodes, AmxActivations };

template <ScratchUse Use>
uint8_t* thread_scratch(int64_t bytes) {
  thread_local std::unique_ptr<uint8_t[]> storage;
  thread_local int64_t capacity = 0;
  if (capacity < bytes) {
    storage.reset(new uint8_t[static_cast<size_t>(bytes + 64)]);
    capacity = bytes;
  }
  const auto p = reinterpret_cast<uintptr_t>(storage.get());
  return reinterpret_cast<uint8_t*>((p + 63) & ~uintptr_t{63});
}

}  // namespace tern::kernels
