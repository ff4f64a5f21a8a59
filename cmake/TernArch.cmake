# Which instruction-set files to compile, and with which flags. Each ISA's kernels live in
# their own files so only they get the ISA flags; dispatch at run time picks among them.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(TERN_ARCH_X86 ON)
  set(TERN_AVX2_FLAGS -mavx2 -mfma -mf16c -mbmi2)
  set(TERN_AVXVNNI_FLAGS ${TERN_AVX2_FLAGS} -mavxvnni)  # VEX-encoded vpdpbusd (GCC >= 11, clang >= 12)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(TERN_ARCH_ARM ON)
  # A toolchain file may spell them its own way (Zig: cmake/aarch64-macos.cmake).
  if(NOT DEFINED TERN_NEON_FLAGS)
    set(TERN_NEON_FLAGS -march=armv8-a)
    set(TERN_NEON_DOTPROD_FLAGS -march=armv8.2-a+dotprod)
    set(TERN_NEON_I8MM_FLAGS -march=armv8.2-a+dotprod+i8mm)  # smmla (GCC >= 10, clang >= 11)
  endif()
endif()
