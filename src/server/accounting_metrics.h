// The accounting part of GET /metrics (Prometheus text): CPU-seconds, energy where RAPL is
// readable (and a gauge saying whether it is), prompt tokens evaluated vs reused, and the
// cost per 10,000 requests at the operator's price.
#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include "server/accounting.h"

namespace tern::server {

// Mean CPU-seconds per finished request x 10,000 x price / 3600, in the price's currency.
// nullopt without a price or before any request finished (absent, never a made-up zero).
std::optional<double> cost_per_10k_requests(double finished_cpu_seconds, int64_t finished,
                                            std::optional<double> price_per_cpu_hour);

void render_accounting(std::ostream& o, const Accounting& acct, std::optional<double> price_per_cpu_hour);

}  // namespace tern::server
