// Counters for GET /metrics, rendered in the Prometheus text format.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include "server/histogram.h"
#include "server/http_log.h"
#include "server/scheduler.h"

namespace tern::server {

class Metrics {
 public:
  // price_per_cpu_hour: the operator's price (--price-per-cpu-hour, any currency); with it
  // /metrics has tern_cost_per_10k_requests, without it that line is absent.
  explicit Metrics(std::optional<double> price_per_cpu_hour = std::nullopt);
  // One finished HTTP request (endpoint is a known route or "other").
  void count_request(const std::string& endpoint, int status);
  // A generation answered in full (status 200): its time to first token (when it had one)
  // and its duration, from the request's log record.
  void observe_generation(const RequestRecord& r);
  std::string render(const Scheduler& scheduler) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::optional<double> price_per_cpu_hour_;
  Histogram ttft_{buckets::kTimeToFirstToken};
  Histogram duration_{buckets::kRequestDuration};
};

}  // namespace tern::server
