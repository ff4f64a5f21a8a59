// macOS: std::atomic wait/notify. Here the C++ library is LLVM's libc++, which on Apple
// platforms sleeps in the kernel's address wait (__ulock_wait / __ulock_wake, the calls
// os_unfair_lock is built on) keyed on the word itself; the libstdc++ 12 lost wake-up that
// keeps Linux on a raw futex (thread_wait.h) does not apply. The public API avoids naming
// Apple's private __ulock_* entry points.
#include "platform/thread_wait.h"

namespace tern {

void wait_while_equal(std::atomic<uint32_t>* word, uint32_t expected) { word->wait(expected, std::memory_order_acquire); }

void wake_all(std::atomic<uint32_t>* word) { word->notify_all(); }

}  // namespace tern
