// Counters for GET /metrics, rendered in the Prometheus text format.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include "runtime/energy.h"
#include "server/scheduler.h"

namespace tern::server {

class Metrics {
 public:
  Metrics();
  // One finished HTTP request (endpoint is a known route or "other").
  void count_request(const std::string& endpoint, int status);
  std::string render(const Scheduler& scheduler) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  // RAPL energy since the server started, only if the counters are readable.
  EnergyMeter meter_;
  std::optional<EnergySample> start_;
};

}  // namespace tern::server
