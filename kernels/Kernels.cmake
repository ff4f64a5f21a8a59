# tern_kernels: the scalar reference (always), plus each ISA's files compiled with only
# that ISA's flags. backend.cpp (no ISA flags) checks the CPU before any of them is chosen.
file(GLOB TERN_KERNELS_SCALAR CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/scalar/*.cpp)
file(GLOB TERN_KERNELS_SRC CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
list(APPEND TERN_KERNELS_SRC ${TERN_KERNELS_SCALAR})
# The scalar implementations must be scalar (TERN_KERNEL=scalar promises no SIMD runs): no
# auto-vectorization, loop or straight-line (GCC and clang spell it differently).
set_source_files_properties(${TERN_KERNELS_SCALAR} PROPERTIES COMPILE_OPTIONS
  "$<IF:$<CXX_COMPILER_ID:Clang>,-fno-vectorize;-fno-slp-vectorize,-fno-tree-vectorize;-fno-tree-slp-vectorize>")
if(TERN_ARCH_X86)
  file(GLOB TERN_KERNELS_AVX2 CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/x86/*.cpp)
  list(FILTER TERN_KERNELS_AVX2 EXCLUDE REGEX "/avx_vnni\\.cpp$")
  set_source_files_properties(${TERN_KERNELS_AVX2} PROPERTIES COMPILE_OPTIONS "${TERN_AVX2_FLAGS}")
  # The AVX-VNNI kernel alone may use the VEX vpdpbusd (the AVX-512 one carries target attributes).
  set(TERN_KERNELS_AVXVNNI ${CMAKE_CURRENT_LIST_DIR}/x86/avx_vnni.cpp)
  set_source_files_properties(${TERN_KERNELS_AVXVNNI} PROPERTIES COMPILE_OPTIONS "${TERN_AVXVNNI_FLAGS}")
  list(APPEND TERN_KERNELS_SRC ${TERN_KERNELS_AVX2} ${TERN_KERNELS_AVXVNNI})
elseif(TERN_ARCH_ARM)
  file(GLOB TERN_KERNELS_NEON CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/arm/neon_*.cpp)
  list(FILTER TERN_KERNELS_NEON EXCLUDE REGEX "/arm/[^/]*(dotprod|i8mm)[^/]*\\.cpp$")
  file(GLOB TERN_KERNELS_DOTPROD CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/arm/*dotprod*.cpp)
  set_source_files_properties(${TERN_KERNELS_NEON} PROPERTIES COMPILE_OPTIONS "${TERN_NEON_FLAGS}")
  set_source_files_properties(${TERN_KERNELS_DOTPROD} PROPERTIES COMPILE_OPTIONS "${TERN_NEON_DOTPROD_FLAGS}")
  # The i8mm kernel alone may use smmla.
  set(TERN_KERNELS_I8MM ${CMAKE_CURRENT_LIST_DIR}/arm/neon_i8mm.cpp)
  set_source_files_properties(${TERN_KERNELS_I8MM} PROPERTIES COMPILE_OPTIONS "${TERN_NEON_I8MM_FLAGS}")
  list(APPEND TERN_KERNELS_SRC ${TERN_KERNELS_NEON} ${TERN_KERNELS_DOTPROD} ${TERN_KERNELS_I8MM})
endif()
tern_module(tern_kernels SOURCES ${TERN_KERNELS_SRC} DEPS tern_runtime)  # xsimd is header-only (/usr/include)
if(TERN_ARCH_X86)
  target_compile_definitions(tern_kernels PUBLIC TERN_ARCH_X86=1)
elseif(TERN_ARCH_ARM)
  target_compile_definitions(tern_kernels PUBLIC TERN_ARCH_ARM=1)
endif()
# The float ops follow the reference's float32 rounding step by step (e.g. RoPE's two
# products then one add): no compiler-fused multiply-adds (aarch64 would fuse by default).
target_compile_options(tern_kernels PRIVATE -ffp-contract=off)
