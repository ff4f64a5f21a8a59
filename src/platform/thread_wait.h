// Sleeping until a 32-bit word changes, and waking every sleeper: what ThreadPool's idle
// workers need between parallel sections. Linux: a private futex (thread_wait_linux.cpp);
// Windows: WaitOnAddress / WakeByAddressAll (thread_wait_windows.cpp).
//
// Plain OS calls, not std::atomic::wait/notify: libstdc++ 12 skips the wake-up syscall based
// on a separate waiter count and was seen to lose wake-ups in the pool.
#pragma once

#include <atomic>
#include <cstdint>

namespace tern {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

// Sleeps while *word == expected. Returns at once if it already differs; may also return
// spuriously (callers re-check in a loop).
void wait_while_equal(std::atomic<uint32_t>* word, uint32_t expected);

// Wakes every thread sleeping in wait_while_equal on `word`.
void wake_all(std::atomic<uint32_t>* word);

}  // namespace tern
