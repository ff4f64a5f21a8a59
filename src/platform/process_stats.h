// Resident memory and CPU time of this process.
//   Linux (process_stats_linux.cpp): /proc/self/status VmHWM (peak resident set size, the
//   "high water mark") and VmRSS (current; for a mmapped model the pages touched), and
//   clock_gettime(CLOCK_PROCESS_CPUTIME_ID).
//   Windows (process_stats_windows.cpp): GetProcessMemoryInfo's PeakWorkingSetSize and
//   WorkingSetSize, and GetProcessTimes (kernel + user).
// The /proc text parser (process_stats.cpp) is plain text handling, built everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tern {

// The value of a "Key:   1234 kB" line of a /proc/<pid>/status text, in bytes;
// nullopt if the key is absent or malformed.
std::optional<uint64_t> parse_proc_status_bytes(const std::string& status_text, const std::string& key);

// Peak and current RSS of this process in bytes; nullopt where the OS does not say.
std::optional<uint64_t> peak_rss_bytes();
std::optional<uint64_t> current_rss_bytes();

// CPU time of the whole process (all threads) since it started, seconds; 0 on failure.
double process_cpu_seconds();

}  // namespace tern
