# Cross toolchain for Windows x86-64 with MinGW-w64 (Debian's g++-mingw-w64-x86-64-posix:
# the posix-threads flavour, so std::thread and std::mutex work); tests run under Wine (see
# scripts/test.sh). The compiled dependencies come from scripts/cross_deps.sh, built into
# TERN_DEPS_PREFIX (scripts/build.sh windows passes build/deps-windows); header-only ones
# are symlinked there folder by folder, so /usr/include itself is never searched.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(TERN_DEPS_PREFIX "" CACHE PATH "scripts/cross_deps.sh's prefix for this target")
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 ${TERN_DEPS_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
if(TERN_DEPS_PREFIX)
  set(ENV{PKG_CONFIG_LIBDIR} ${TERN_DEPS_PREFIX}/lib/pkgconfig)
endif()
# GCC bug 54412: for Windows x64 (SEH unwinding) GCC cannot realign the stack, yet spills
# __m256 / __m512 locals with aligned moves (vmovaps/vmovdqa) to 32/64-byte slots that are
# only 16-byte aligned, which faults in AVX2 and AVX-512 kernels. binutils >= 2.38 (the
# fix the GCC report points to) makes the assembler emit every aligned vector move as the
# unaligned form, which costs nothing on aligned data with current CPUs.
set(CMAKE_C_FLAGS_INIT "-Wa,-muse-unaligned-vector-move")
set(CMAKE_CXX_FLAGS_INIT "-Wa,-muse-unaligned-vector-move")
# One self-contained .exe: libstdc++, libgcc and winpthreads linked in, so neither Windows
# nor Wine has to find MinGW's DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# Debian's wine64 package installs the loader outside PATH.
find_program(TERN_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(TERN_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TERN_WINE64})
endif()
