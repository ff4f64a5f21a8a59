# Every dependency comes from a Debian package (scripts/install-deps.sh installs them).
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
if(WIN32)
  # Cross build: Debian's CMake configs of these header-only libraries name /usr/include,
  # which must not reach the MinGW compiler; scripts/cross_deps.sh links their folders alone
  # into TERN_DEPS_PREFIX/include (on the toolchain's find root).
  find_path(TERN_NLOHMANN_INCLUDE_DIR nlohmann/json.hpp REQUIRED)
  add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
  set_target_properties(nlohmann_json::nlohmann_json PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${TERN_NLOHMANN_INCLUDE_DIR})
  find_path(TERN_CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  set_target_properties(CLI11::CLI11 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${TERN_CLI11_INCLUDE_DIR})
else()
  find_package(nlohmann_json 3 REQUIRED)
  find_package(CLI11 REQUIRED)
endif()
find_path(XSIMD_INCLUDE_DIR xsimd/xsimd.hpp REQUIRED)  # header-only; its CMake config drags in xtl
# Boost.Beast/Asio, header-only: `tern serve`'s HTTP transport (src/server/http_server.cpp).
# The headers are the same for every architecture, so the aarch64 cross build uses them too.
find_path(BOOST_BEAST_INCLUDE_DIR boost/beast.hpp REQUIRED)
add_library(Boost::beast INTERFACE IMPORTED)
# Boost 1.74's Asio detects std::invoke_result only for MSVC and otherwise names
# std::result_of, which C++20 removed (libc++, e.g. macOS's, no longer has it).
set_target_properties(Boost::beast PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${BOOST_BEAST_INCLUDE_DIR}
                      INTERFACE_COMPILE_DEFINITIONS BOOST_ASIO_HAS_STD_INVOKE_RESULT=1)
if(WIN32)  # Asio's Windows transport: Winsock and its Microsoft extensions (AcceptEx)
  set_property(TARGET Boost::beast PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 mswsock)
endif()
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2_8 REQUIRED IMPORTED_TARGET libpcre2-8)
add_library(PCRE2::pcre2-8 ALIAS PkgConfig::PCRE2_8)
if(WIN32)  # scripts/cross_deps.sh builds PCRE2 static; its header must not ask for dllimport
  set_property(TARGET PkgConfig::PCRE2_8 APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS PCRE2_STATIC)
endif()
# libunistring: the Unicode data of the chat templates' string methods (case mappings,
# character classes). Debian's package has no pkg-config file; in the aarch64 cross build
# find_library searches only the toolchain's roots and so finds libunistring-dev:arm64.
find_path(UNISTRING_INCLUDE_DIR unicase.h REQUIRED)
find_library(UNISTRING_LIBRARY unistring REQUIRED)
add_library(Unistring::unistring UNKNOWN IMPORTED)
set_target_properties(Unistring::unistring PROPERTIES IMPORTED_LOCATION ${UNISTRING_LIBRARY}
                      INTERFACE_INCLUDE_DIRECTORIES ${UNISTRING_INCLUDE_DIR})

# libedit (BSD): `tern chat`'s line editor and history (src/platform/line_editor_libedit.cpp).
# Found by path, as libunistring above, so the aarch64 cross build finds libedit-dev:arm64.
# It has no Windows port: there chat reads plain lines (line_editor_plain.cpp).
if(NOT WIN32)
  find_path(EDITLINE_INCLUDE_DIR editline/readline.h REQUIRED)
  find_library(EDITLINE_LIBRARY edit REQUIRED)
  add_library(Editline::editline UNKNOWN IMPORTED)
  set_target_properties(Editline::editline PROPERTIES IMPORTED_LOCATION ${EDITLINE_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${EDITLINE_INCLUDE_DIR})
endif()

# libcurl (OpenSSL flavour) and libcrypto: `tern pull` / -hf (src/hub/). Required on Linux
# (install-deps.sh installs them, for arm64 too); the Windows and macOS cross builds have no
# build of them, so there TERN_HUB is off and src/hub/none/ stands in (cache-only -hf).
if(WIN32 OR APPLE)
  find_package(CURL QUIET)
  find_package(OpenSSL QUIET COMPONENTS Crypto)
else()
  find_package(CURL REQUIRED)
  find_package(OpenSSL REQUIRED COMPONENTS Crypto)
endif()
if(CURL_FOUND AND OpenSSL_FOUND)
  set(TERN_HUB ON)
else()
  set(TERN_HUB OFF)
  message(STATUS "tern: no libcurl/libcrypto for this target: -hf and tern pull use the Hub cache only")
endif()

if(TERN_TESTS)
  find_package(GTest REQUIRED)   # arm64 builds come from libgtest-dev:arm64 (multiarch)
endif()
if(TERN_BENCH AND NOT CMAKE_CROSSCOMPILING)
  find_package(benchmark QUIET)
endif()
