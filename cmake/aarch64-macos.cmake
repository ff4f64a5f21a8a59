# Cross toolchain for macOS on Apple silicon (arm64): Zig's clang with its bundled macOS libc
# headers, libSystem stubs and libc++, from the npm package pinned in cmake/zig/package.json
# (scripts/install-deps.sh runs `npm ci` there). Nothing here can run the result: the build is
# compiled and linked only; the aarch64 Linux suite under qemu checks the same NEON kernels.
set(CMAKE_SYSTEM_NAME Darwin)
set(CMAKE_SYSTEM_PROCESSOR arm64)
set(CMAKE_C_COMPILER ${CMAKE_CURRENT_LIST_DIR}/zig/zig-cc)
set(CMAKE_CXX_COMPILER ${CMAKE_CURRENT_LIST_DIR}/zig/zig-c++)
set(CMAKE_AR ${CMAKE_CURRENT_LIST_DIR}/zig/zig-ar CACHE FILEPATH "archiver")
set(CMAKE_RANLIB ${CMAKE_CURRENT_LIST_DIR}/zig/zig-ranlib CACHE FILEPATH "ranlib")
# No SDK or xcrun here: Zig brings the headers and link stubs; CMake must not look for one.
set(CMAKE_OSX_SYSROOT "" CACHE PATH "no SDK: Zig's own macOS headers")
set(CMAKE_OSX_DEPLOYMENT_TARGET "" CACHE STRING "set by the Zig target (cmake/zig/zig-tool)")
# Zig names CPUs and features with -mcpu (clang's -march is not passed through, and Zig's
# `generic` aarch64 CPU lacks what LLVM's arm_neon.h asks for). Every Apple silicon Mac is at
# least an M1 (NEON + dotprod), so the NEON and dotprod files build for the M1; the i8mm file
# adds smmla (M2 and later), which backend.cpp uses only where the CPU reports FEAT_I8MM.
set(TERN_NEON_FLAGS -mcpu=apple_m1)
set(TERN_NEON_DOTPROD_FLAGS -mcpu=apple_m1)
set(TERN_NEON_I8MM_FLAGS -mcpu=apple_m1+i8mm)
# Libraries and headers: only the macOS staging prefix (`scripts/macos_deps.sh prefix`, which
# scripts/build.sh passes), never the host's /usr/include, whose glibc headers would shadow
# macOS libc.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TERN_MACOS_PREFIX)
if(NOT TERN_MACOS_PREFIX)
  message(FATAL_ERROR "aarch64-macos.cmake: set TERN_MACOS_PREFIX (scripts/build.sh macos does)")
endif()
set(CMAKE_FIND_ROOT_PATH ${TERN_MACOS_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} ${TERN_MACOS_PREFIX}/lib/pkgconfig)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
