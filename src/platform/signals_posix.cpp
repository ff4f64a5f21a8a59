// POSIX: sigaction with SA_RESTART for chat's Ctrl-C; a blocked SIGINT/SIGTERM set taken
// with sigwait for serve.
#include "platform/signals.h"

#include <pthread.h>

#include <csignal>

namespace tern {
namespace {

void (*g_interrupt_handler)() = nullptr;

void on_sigint(int) {
  if (g_interrupt_handler != nullptr) g_interrupt_handler();
}

sigset_t stop_set() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

void on_interrupt(void (*handler)()) {
  g_interrupt_handler = handler;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESTART;  // a Ctrl-C at the prompt must not end the read
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
}

void block_stop_signals() {
  const sigset_t signals = stop_set();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

void wait_stop_signal() {
  const sigset_t signals = stop_set();
  int sig = 0;
  sigwait(&signals, &sig);
}

void wake_stop_waiter(std::thread& waiter) { pthread_kill(waiter.native_handle(), SIGTERM); }

}  // namespace tern
