// Linux: powercap sysfs files read with open/read (a sysfs attribute is one short line).
#include "platform/energy_counters.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace tern {

int read_counter_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out.clear();
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > 4096) break;  // sysfs attributes are one short line
  }
  ::close(fd);
  return 0;
}

std::string energy_counters_missing() { return ""; }

}  // namespace tern
