// Windows: _isatty on the C runtime's descriptors, WriteFile on the stdout handle.
#include <windows.h>
#include <io.h>

#include <cstdio>

#include "platform/terminal.h"

namespace tern {

bool is_terminal(StdStream stream) {
  std::FILE* f = stream == StdStream::kIn ? stdin : stream == StdStream::kOut ? stdout : stderr;
  return _isatty(_fileno(f)) != 0;
}

void write_stdout_from_handler(const char* text, size_t n) {
  DWORD written = 0;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), text, static_cast<DWORD>(n), &written, nullptr);
}

}  // namespace tern
