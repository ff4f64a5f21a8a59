// Calendar time, thread-safely (the chat templates' strftime_now, the server's log lines).
// POSIX: localtime_r / gmtime_r (local_time_posix.cpp); Windows: localtime_s / gmtime_s
// (local_time_windows.cpp).
#pragma once

#include <ctime>

namespace tern {

std::tm local_time(std::time_t t);
// The same time in UTC (gmtime_r / gmtime_s).
std::tm utc_time(std::time_t t);

}  // namespace tern
