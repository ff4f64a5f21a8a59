// Reads VmHWM / VmRSS from /proc/self/status.
#include "platform/process_stats.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace tern {

std::optional<uint64_t> parse_proc_status_bytes(const std::string& status_text, const std::string& key) {
  const std::string prefix = key + ":";
  size_t pos = 0;
  while (pos < status_text.size()) {
    size_t eol = status_text.find('\n', pos);
    if (eol == std::string::npos) eol = status_text.size();
    if (status_text.compare(pos, prefix.size(), prefix) == 0) {
      const char* p = status_text.data() + pos + prefix.size();
      const char* end = status_text.data() + eol;
      while (p < end && (*p == ' ' || *p == '\t')) ++p;
      uint64_t value = 0;
      auto [q, ec] = std::from_chars(p, end, value);
      if (ec != std::errc() || q == p) return std::nullopt;
      while (q < end && (*q == ' ' || *q == '\t')) ++q;
      const std::string unit(q, end);
      if (unit == "kB") return value * 1024;  // the kernel's "kB" means KiB
      if (unit.empty()) return value;
      return std::nullopt;
    }
    pos = eol + 1;
  }
  return std::nullopt;
}

}  // namespace tern
