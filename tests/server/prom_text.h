// Reads Prometheus text (what GET /metrics answers) back into numbers for the tests:
// "name{labels}" -> value, with the # HELP / # TYPE lines kept per metric name.
#pragma once
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace tern::server::test {

struct PromText {
  std::map<std::string, double> samples;   // "tern_x_bucket{le=\"0.5\"}" -> 3
  std::map<std::string, std::string> type;  // metric name -> "counter", "gauge", "histogram"
  std::map<std::string, std::string> help;
  std::vector<std::string> order;           // sample keys in the order rendered
  bool has(const std::string& key) const { return samples.count(key) > 0; }
  double at(const std::string& key) const {
    auto it = samples.find(key);
    return it == samples.end() ? -1.0 : it->second;
  }
};

inline PromText parse_prom(const std::string& text) {
  PromText p;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      const size_t sp = rest.find(' ');
      (line[2] == 'H' ? p.help : p.type)[rest.substr(0, sp)] = sp == std::string::npos ? "" : rest.substr(sp + 1);
      continue;
    }
    const size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    const std::string key = line.substr(0, sp), value = line.substr(sp + 1);
    p.samples[key] = value == "+Inf" ? std::numeric_limits<double>::infinity() : std::strtod(value.c_str(), nullptr);
    p.order.push_back(key);
  }
  return p;
}

}  // namespace tern::server::test
