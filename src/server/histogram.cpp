#include "server/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace tern::server {

Histogram::Histogram(std::vector<double> bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
  }
  h_.bounds = std::move(bounds);
  h_.buckets.assign(h_.bounds.size() + 1, 0);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  // lower_bound: the first bound >= value, so a value equal to a bound counts in that bucket.
  const size_t i = static_cast<size_t>(std::lower_bound(h_.bounds.begin(), h_.bounds.end(), value) - h_.bounds.begin());
  std::lock_guard<std::mutex> lock(mu_);
  ++h_.buckets[i];
  h_.sum += value;
  ++h_.count;
}

HistogramSnapshot Histogram::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return h_;
}

std::string prom_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {  // the shortest that round-trips
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void render_histogram(std::ostream& out, const std::string& name, const std::string& help, const HistogramSnapshot& h) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.buckets.size(); ++i) {
    cumulative += h.buckets[i];
    const std::string le = i < h.bounds.size() ? prom_number(h.bounds[i]) : "+Inf";
    out << name << "_bucket{le=\"" << le << "\"} " << cumulative << "\n";
  }
  out << name << "_sum " << prom_number(h.sum) << "\n" << name << "_count " << h.count << "\n";
}

}  // namespace tern::server
