// Windows: the C runtime's localtime_s and gmtime_s (arguments in the opposite order to C11's).
#include "platform/local_time.h"

namespace tern {

std::tm local_time(std::time_t t) {
  std::tm tm{};
  localtime_s(&tm, &t);
  return tm;
}

std::tm utc_time(std::time_t t) {
  std::tm tm{};
  gmtime_s(&tm, &t);
  return tm;
}

}  // namespace tern
