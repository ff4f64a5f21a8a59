// macOS: no RAPL and no powercap. Apple silicon's energy estimates are exposed only through
// `powermetrics` (root) and the private IOReport interface, neither of which tern reads, so
// `tern bench` reports energy as unavailable and says why. A powercap-shaped tree given
// explicitly (--powercap-root, the tests' fixtures) is still read, with open/read as on Linux.
#include "platform/energy_counters.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace tern {

int read_counter_file(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out.clear();
  char buf[256];
  int error = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = errno;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > 4096) break;  // counter files are one short line
  }
  ::close(fd);
  return error;
}

std::string energy_counters_missing() {
  return "no RAPL/powercap on macOS; Apple silicon reports energy only to root through powermetrics";
}

}  // namespace tern
