// macOS: resident memory from Mach's task_info (MACH_TASK_BASIC_INFO: resident_size and its
// peak resident_size_max; macOS has no /proc), CPU time from getrusage (user + system, all
// threads).
#include <mach/mach.h>
#include <sys/resource.h>

#include "platform/process_stats.h"

namespace tern {
namespace {

std::optional<mach_task_basic_info_data_t> task_basic_info() {
  mach_task_basic_info_data_t info{};
  mach_msg_type_number_t count = MACH_TASK_BASIC_INFO_COUNT;
  if (task_info(mach_task_self(), MACH_TASK_BASIC_INFO, reinterpret_cast<task_info_t>(&info), &count) != KERN_SUCCESS)
    return std::nullopt;
  return info;
}

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; }

}  // namespace

std::optional<uint64_t> peak_rss_bytes() {
  const auto info = task_basic_info();
  if (!info) return std::nullopt;
  return static_cast<uint64_t>(info->resident_size_max);
}

std::optional<uint64_t> current_rss_bytes() {
  const auto info = task_basic_info();
  if (!info) return std::nullopt;
  return static_cast<uint64_t>(info->resident_size);
}

double process_cpu_seconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace tern
