// Resident memory of this process, from /proc/self/status (Linux).
//   VmHWM: peak resident set size ("high water mark") since the process started.
//   VmRSS: current resident set size. For a mmapped model this counts the pages touched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tern {

// The value of a "Key:   1234 kB" line of a /proc/<pid>/status text, in bytes;
// nullopt if the key is absent or malformed.
std::optional<uint64_t> parse_proc_status_bytes(const std::string& status_text, const std::string& key);

// Peak and current RSS of this process in bytes; nullopt where /proc is unavailable.
std::optional<uint64_t> peak_rss_bytes();
std::optional<uint64_t> current_rss_bytes();

}  // namespace tern
