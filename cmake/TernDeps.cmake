# Every dependency comes from a Debian package (scripts/install-deps.sh installs them).
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_path(XSIMD_INCLUDE_DIR xsimd/xsimd.hpp REQUIRED)  # header-only; its CMake config drags in xtl
# Boost.Beast/Asio, header-only: `tern serve`'s HTTP transport (src/server/http_server.cpp).
# The headers are the same for every architecture, so the aarch64 cross build uses them too.
find_path(BOOST_BEAST_INCLUDE_DIR boost/beast.hpp REQUIRED)
add_library(Boost::beast INTERFACE IMPORTED)
set_target_properties(Boost::beast PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${BOOST_BEAST_INCLUDE_DIR})
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2_8 REQUIRED IMPORTED_TARGET libpcre2-8)
add_library(PCRE2::pcre2-8 ALIAS PkgConfig::PCRE2_8)
# libunistring: the Unicode data of the chat templates' string methods (case mappings,
# character classes). Debian's package has no pkg-config file; in the aarch64 cross build
# find_library searches only the toolchain's roots and so finds libunistring-dev:arm64.
find_path(UNISTRING_INCLUDE_DIR unicase.h REQUIRED)
find_library(UNISTRING_LIBRARY unistring REQUIRED)
add_library(Unistring::unistring UNKNOWN IMPORTED)
set_target_properties(Unistring::unistring PROPERTIES IMPORTED_LOCATION ${UNISTRING_LIBRARY}
                      INTERFACE_INCLUDE_DIRECTORIES ${UNISTRING_INCLUDE_DIR})

# libedit (BSD): `tern chat`'s line editor and history (tools/line_reader.cpp). Found by
# path, as libunistring above, so the aarch64 cross build finds libedit-dev:arm64.
find_path(EDITLINE_INCLUDE_DIR editline/readline.h REQUIRED)
find_library(EDITLINE_LIBRARY edit REQUIRED)
add_library(Editline::editline UNKNOWN IMPORTED)
set_target_properties(Editline::editline PROPERTIES IMPORTED_LOCATION ${EDITLINE_LIBRARY}
                      INTERFACE_INCLUDE_DIRECTORIES ${EDITLINE_INCLUDE_DIR})

# libcurl (OpenSSL flavour) and libcrypto: `tern pull` / -hf (src/hub/).
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

if(TERN_TESTS)
  find_package(GTest REQUIRED)   # arm64 builds come from libgtest-dev:arm64 (multiarch)
endif()
if(TERN_BENCH AND NOT CMAKE_CROSSCOMPILING)
  find_package(benchmark QUIET)
endif()
