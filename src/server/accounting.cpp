#include "server/accounting.h"

#include <algorithm>

namespace tern::server {

Accounting::Accounting(std::string powercap_root, CpuClock cpu_clock)
    : cpu_clock_(std::move(cpu_clock)), meter_(std::move(powercap_root)) {
  last_ = read();
  start_energy_ = last_.energy;
}

Accounting::Reading Accounting::read() const {
  Reading r;
  r.cpu = cpu_clock_();
  if (meter_.available()) {
    EnergySample s;
    if (meter_.sample(s)) r.energy = std::move(s);
  }
  return r;
}

void Accounting::begin_step() {
  last_ = read();
  rows_.clear();
}

void Accounting::add_rows(RequestTally& who, int64_t rows, bool prompt) {
  if (rows <= 0) return;
  rows_.emplace_back(&who, rows);
  if (prompt) who.prompt_rows += rows;
}

void Accounting::settle() {
  const Reading now = read();
  const double cpu = std::max(0.0, now.cpu - last_.cpu) + carried_cpu_;
  const bool energy_ok = now.energy && last_.energy && carried_energy_ok_;
  const double j = (energy_ok ? meter_.delta(*last_.energy, *now.energy).total_j() : 0.0) + carried_j_;
  last_ = now;
  int64_t total_rows = 0;
  for (const auto& [who, n] : rows_) total_rows += n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    totals_.step_cpu_seconds += cpu - carried_cpu_;
  }
  if (total_rows == 0) {
    carried_cpu_ = cpu;
    carried_j_ = energy_ok ? j : 0.0;
    carried_energy_ok_ = energy_ok;
    return;
  }
  carried_cpu_ = 0;
  carried_j_ = 0;
  carried_energy_ok_ = true;
  double given_j = 0;
  for (const auto& [who, n] : rows_) {
    const double share = static_cast<double>(n) / static_cast<double>(total_rows);
    who->cpu_seconds += cpu * share;
    if (energy_ok) {
      who->joules += j * share;
      given_j += j * share;
    } else {
      who->energy_ok = false;
    }
  }
  rows_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  totals_.request_cpu_seconds += cpu;
  totals_.request_joules += given_j;
}

void Accounting::token(RequestTally& who) {
  const auto now = std::chrono::steady_clock::now();
  if (who.tokens > 0) inter_token_.observe(std::chrono::duration<double>(now - who.last_token).count());
  who.last_token = now;
  ++who.tokens;
}

RequestUsage Accounting::finish(RequestTally& who, int64_t prompt_tokens) {
  settle();
  RequestUsage u;
  u.cpu_seconds = who.cpu_seconds;
  if (meter_.available() && who.energy_ok) u.energy_joules = who.joules;
  u.prompt_evaluated = who.prompt_rows;
  request_cpu_.observe(u.cpu_seconds);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++totals_.finished;
    totals_.finished_cpu_seconds += u.cpu_seconds;
    if (u.energy_joules) {
      totals_.finished_joules += *u.energy_joules;
      ++totals_.finished_with_energy;
    }
    totals_.prompt_tokens_evaluated += who.prompt_rows;
    // Only a generation that passed a token on had its whole prompt in the KV cache.
    if (who.tokens > 0) totals_.prompt_tokens_reused += std::max<int64_t>(0, prompt_tokens - who.prompt_rows);
  }
  who = RequestTally{};
  return u;
}

AccountingTotals Accounting::totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return totals_;
}

std::optional<double> Accounting::joules_since_start() const {
  if (!start_energy_) return std::nullopt;
  EnergySample now;
  if (!meter_.sample(now)) return std::nullopt;
  return meter_.delta(*start_energy_, now).total_j();
}

}  // namespace tern::server
