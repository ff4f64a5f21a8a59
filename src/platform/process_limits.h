// Process-wide resource settings `tern serve` makes at start. Linux: setrlimit(RLIMIT_NOFILE)
// and glibc's mallopt (process_limits_linux.cpp); Windows has no descriptor limit for
// sockets and one heap, so both are no-ops there (process_limits_windows.cpp).
#pragma once

#include <cstdint>
#include <optional>

namespace tern {

// Raises the soft limit on open descriptors to the hard one. Returns the limit now in
// force, or nullopt when there is none (unlimited, or the OS has no such limit).
std::optional<uint64_t> raise_open_file_limit();

// One malloc arena for every thread: glibc would otherwise create an arena (and its first
// pages) for each thread the first time it allocates, so RSS would creep up as a load test
// wakes handler threads. No-op where the allocator has no arenas.
void use_one_malloc_arena();

}  // namespace tern
