// Windows: console control events. The handler runs on a thread the system creates, so it
// may block briefly and use a condition variable; returning TRUE keeps the process alive.
#include <windows.h>

#include <condition_variable>
#include <mutex>

#include "platform/signals.h"

namespace tern {
namespace {

void (*g_interrupt_handler)() = nullptr;

BOOL WINAPI on_ctrl_c(DWORD event) {
  if (event != CTRL_C_EVENT || g_interrupt_handler == nullptr) return FALSE;
  g_interrupt_handler();
  return TRUE;
}

std::mutex g_stop_mutex;
std::condition_variable g_stop_cv;
int g_stop_pending = 0;

BOOL WINAPI on_stop_event(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_SHUTDOWN_EVENT: {
      std::lock_guard<std::mutex> lock(g_stop_mutex);
      ++g_stop_pending;
      g_stop_cv.notify_all();
      return TRUE;
    }
    default:
      return FALSE;
  }
}

}  // namespace

void on_interrupt(void (*handler)()) {
  g_interrupt_handler = handler;
  SetConsoleCtrlHandler(on_ctrl_c, TRUE);
}

void block_stop_signals() { SetConsoleCtrlHandler(on_stop_event, TRUE); }

void wait_stop_signal() {
  std::unique_lock<std::mutex> lock(g_stop_mutex);
  g_stop_cv.wait(lock, [] { return g_stop_pending > 0; });
  --g_stop_pending;
}

void wake_stop_waiter(std::thread&) {
  std::lock_guard<std::mutex> lock(g_stop_mutex);
  ++g_stop_pending;
  g_stop_cv.notify_all();
}

}  // namespace tern
