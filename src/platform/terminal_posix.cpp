// POSIX: isatty(3) and an async-signal-safe write(2).
#include <unistd.h>

#include "platform/terminal.h"

namespace tern {

bool is_terminal(StdStream stream) {
  const int fd = stream == StdStream::kIn ? STDIN_FILENO : stream == StdStream::kOut ? STDOUT_FILENO : STDERR_FILENO;
  return ::isatty(fd) != 0;
}

void write_stdout_from_handler(const char* text, size_t n) {
  ssize_t ignored = ::write(STDOUT_FILENO, text, n);
  (void)ignored;
}

}  // namespace tern
