// Windows: no RAPL counter for user programs. The files of an explicitly given powercap-
// shaped tree are read with the C library (errno says why a read failed).
#include <cerrno>
#include <cstdio>

#include "platform/energy_counters.h"

namespace tern {

int read_counter_file(const std::string& path, std::string& out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return errno != 0 ? errno : ENOENT;
  out.clear();
  char buf[256];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out.append(buf, n);
    if (out.size() > 4096) break;
  }
  const int e = std::ferror(f) ? EIO : 0;
  std::fclose(f);
  return e;
}

std::string energy_counters_missing() {
  return "no RAPL energy counter on Windows: RAPL is read through Linux powercap (/sys/class/powercap), and Windows "
         "exposes the RAPL MSRs only to kernel drivers";
}

}  // namespace tern
