#include "server/http_log.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "platform/local_time.h"

namespace tern::server {

namespace {

double round_ms(double ms) { return std::round(ms * 10.0) / 10.0; }  // 0.1 ms is plenty

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::tm tm = utc_time(t);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms));
  return std::string(buf, n) + frac;
}

}  // namespace

nlohmann::ordered_json request_log_line(const RequestRecord& r) {
  nlohmann::ordered_json j = {{"event", "request"}, {"id", r.id}, {"method", r.method},
                              {"route", r.route}, {"status", r.status}};
  if (!r.stats.response_id.empty()) j["response_id"] = r.stats.response_id;
  auto opt = [](const auto& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr); };
  j["tokens_in"] = opt(r.stats.tokens_in);
  j["tokens_out"] = opt(r.stats.tokens_out);
  j["ttft_ms"] = r.stats.first_token_ms ? nlohmann::ordered_json(round_ms(*r.stats.first_token_ms)) : nullptr;
  j["duration_ms"] = round_ms(r.duration_ms);
  j["cpu_s"] = r.stats.cpu_seconds ? nlohmann::ordered_json(std::round(*r.stats.cpu_seconds * 1e6) / 1e6) : nullptr;
  // Energy only where RAPL was readable: null otherwise, never an estimate.
  j["energy_j"] = r.stats.energy_joules ? nlohmann::ordered_json(std::round(*r.stats.energy_joules * 1e3) / 1e3) : nullptr;
  j["energy_wh"] = r.stats.energy_joules ? nlohmann::ordered_json(*r.stats.energy_joules / 3600.0) : nullptr;
  j["client"] = r.client;
  return j;
}

void write_log_line(const nlohmann::ordered_json& line) {
  nlohmann::ordered_json out = {{"time", utc_now()}};
  out.update(line);
  // Invalid UTF-8 (a hostile path) is replaced, not thrown on.
  const std::string text = out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace tern::server
