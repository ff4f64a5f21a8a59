// Windows: GetProcessMemoryInfo (working set = resident set) and GetProcessTimes.
#include <windows.h>
#include <psapi.h>

#include "platform/process_stats.h"

namespace tern {
namespace {

std::optional<PROCESS_MEMORY_COUNTERS> memory_counters() {
  PROCESS_MEMORY_COUNTERS c{};
  c.cb = sizeof c;
  if (!GetProcessMemoryInfo(GetCurrentProcess(), &c, sizeof c)) return std::nullopt;
  return c;
}

}  // namespace

std::optional<uint64_t> peak_rss_bytes() {
  const auto c = memory_counters();
  if (!c) return std::nullopt;
  return static_cast<uint64_t>(c->PeakWorkingSetSize);
}

std::optional<uint64_t> current_rss_bytes() {
  const auto c = memory_counters();
  if (!c) return std::nullopt;
  return static_cast<uint64_t>(c->WorkingSetSize);
}

double process_cpu_seconds() {
  FILETIME created, exited, kernel, user;
  if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)) return 0;
  auto ticks = [](const FILETIME& t) { return (static_cast<uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime; };
  return static_cast<double>(ticks(kernel) + ticks(user)) * 1e-7;  // 100 ns units
}

}  // namespace tern
