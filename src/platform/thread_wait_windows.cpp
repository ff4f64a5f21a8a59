// Windows: WaitOnAddress / WakeByAddressAll (Windows 8+), the futex equivalent.
#include <windows.h>

#include "platform/thread_wait.h"

namespace tern {

void wait_while_equal(std::atomic<uint32_t>* word, uint32_t expected) {
  WaitOnAddress(reinterpret_cast<volatile VOID*>(word), &expected, sizeof expected, INFINITE);
}

void wake_all(std::atomic<uint32_t>* word) { WakeByAddressAll(reinterpret_cast<PVOID>(word)); }

}  // namespace tern
