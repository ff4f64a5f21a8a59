// Wall-clock timing for benchmarks and progress lines: a monotonic stopwatch.
#pragma once

#include <chrono>
#include <cstdint>

namespace tern {

class Stopwatch {
 public:
  using Clock = std::chrono::steady_clock;  // monotonic: immune to clock adjustments

  Stopwatch() : start_(Clock::now()) {}
  void restart() { start_ = Clock::now(); }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  double milliseconds() const { return seconds() * 1e3; }
  int64_t nanoseconds() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }

 private:
  Clock::time_point start_;
};

}  // namespace tern
