// Is a standard stream a terminal (progress lines, colour, line editing only for a person
// watching), and writing from a Ctrl-C handler. POSIX: isatty and write(2)
// (terminal_posix.cpp); Windows: _isatty and WriteFile (terminal_windows.cpp).
#pragma once

#include <cstddef>

namespace tern {

enum class StdStream { kIn, kOut, kErr };

bool is_terminal(StdStream stream);

// Writes text to stdout from a signal (console control) handler: no stdio buffers, no
// allocation. Errors are ignored.
void write_stdout_from_handler(const char* text, size_t n);

}  // namespace tern
