// Linux: VmHWM / VmRSS from /proc/self/status, CPU time from CLOCK_PROCESS_CPUTIME_ID.
#include <ctime>
#include <fstream>
#include <sstream>

#include "platform/process_stats.h"

namespace tern {

static std::optional<uint64_t> read_self_status(const char* key) {
  std::ifstream in("/proc/self/status");
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_proc_status_bytes(text.str(), key);
}

std::optional<uint64_t> peak_rss_bytes() { return read_self_status("VmHWM"); }
std::optional<uint64_t> current_rss_bytes() { return read_self_status("VmRSS"); }

double process_cpu_seconds() {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace tern
