// Ctrl-C and stop requests. POSIX: SIGINT / SIGTERM (signals_posix.cpp); Windows: console
// control events, Ctrl-C, Ctrl-Break and closing the console (signals_windows.cpp).
#pragma once

#include <thread>

namespace tern {

// `tern chat`: calls `handler` on every Ctrl-C instead of ending the process; a read in
// progress (the prompt) goes on. The handler may only touch atomics and
// write_stdout_from_handler (platform/terminal.h).
void on_interrupt(void (*handler)());

// `tern serve`: stop requests taken by a thread of its own. block_stop_signals must run
// before any other thread starts (POSIX: every thread inherits the blocked SIGINT/SIGTERM,
// so only wait_stop_signal receives them).
void block_stop_signals();
// Blocks the calling thread until the next stop request (SIGINT/SIGTERM; Windows: Ctrl-C,
// Ctrl-Break, console close) or until wake_stop_waiter is called for it.
void wait_stop_signal();
// Makes `waiter`, blocked (or about to block) in wait_stop_signal, return once.
void wake_stop_waiter(std::thread& waiter);

}  // namespace tern
