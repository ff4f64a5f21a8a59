// A Prometheus histogram: fixed upper bounds, a count per bucket, the sum and the count of
// observations, rendered as cumulative `_bucket{le="..."}` lines ending with le="+Inf",
// then `_sum` and `_count` (the text exposition format, version 0.0.4).
//
// Our own small type rather than Debian's prometheus-cpp-dev: /metrics is rendered by hand
// (metrics.cpp) and needs no registry, serializer or extra library in the aarch64 cross
// build, only this.
#pragma once
#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace tern::server {

// The bucket bounds of tern serve's latency histograms, in seconds, in one place. Chosen for
// an LLM on CPU cores: a decode step of a 2B model takes tens to hundreds of milliseconds,
// more when many slots share a step; a long prompt's first token can take many seconds.
namespace buckets {
inline const std::vector<double> kTimeToFirstToken = {0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120};
inline const std::vector<double> kInterToken = {0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1, 2, 5};
inline const std::vector<double> kRequestDuration = {0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600};
// CPU-seconds of one generation (all threads of the process, apportioned).
inline const std::vector<double> kRequestCpuSeconds = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300};
}  // namespace buckets

struct HistogramSnapshot {
  std::vector<double> bounds;     // upper bounds, strictly increasing, +Inf implied
  std::vector<uint64_t> buckets;  // NOT cumulative: buckets[i] counts bounds[i-1] < v <= bounds[i]; one more for +Inf
  double sum = 0;
  uint64_t count = 0;
};

class Histogram {
 public:
  // bounds: finite and strictly increasing (else std::invalid_argument).
  explicit Histogram(std::vector<double> bounds);
  // A value goes to the first bucket whose bound is >= it (Prometheus' `le`); NaN is ignored.
  void observe(double value);
  HistogramSnapshot snapshot() const;

 private:
  mutable std::mutex mu_;
  HistogramSnapshot h_;
};

// A number as Prometheus text: shortest form that reads back the same ("0.25", "1e-05", "+Inf").
std::string prom_number(double v);

// # HELP, # TYPE histogram, the cumulative buckets, _sum and _count of `name`.
void render_histogram(std::ostream& out, const std::string& name, const std::string& help, const HistogramSnapshot& h);

}  // namespace tern::server
