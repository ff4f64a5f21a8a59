#include "server/accounting_metrics.h"

#include "server/histogram.h"

namespace tern::server {

std::optional<double> cost_per_10k_requests(double finished_cpu_seconds, int64_t finished,
                                            std::optional<double> price_per_cpu_hour) {
  if (!price_per_cpu_hour || finished <= 0) return std::nullopt;
  const double mean = finished_cpu_seconds / static_cast<double>(finished);
  return mean * 10000.0 * *price_per_cpu_hour / 3600.0;
}

namespace {
void line(std::ostream& o, const char* name, const char* type, const char* help, double v) {
  o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
    << name << " " << prom_number(v) << "\n";
}
}  // namespace

void render_accounting(std::ostream& o, const Accounting& acct, std::optional<double> price) {
  const AccountingTotals t = acct.totals();
  line(o, "process_cpu_seconds_total", "counter", "CPU time of the whole process (all threads) since it started.",
       process_cpu_seconds());
  line(o, "tern_step_cpu_seconds_total", "counter", "Process CPU time inside scheduler steps.", t.step_cpu_seconds);
  line(o, "tern_request_cpu_seconds_total", "counter",
       "Process CPU time apportioned to generations by their share of each step's rows (running ones included).",
       t.request_cpu_seconds);
  render_histogram(o, "tern_generation_cpu_seconds",
                   "CPU-seconds of each finished generation (its share of the steps it was in).", acct.request_cpu());
  line(o, "tern_finished_prompt_tokens_evaluated_total", "counter",
       "Prompt tokens of finished generations that were evaluated (prefilled).",
       static_cast<double>(t.prompt_tokens_evaluated));
  line(o, "tern_finished_prompt_tokens_reused_total", "counter",
       "Prompt tokens of finished generations that were not evaluated (reused from a slot's KV cache).",
       static_cast<double>(t.prompt_tokens_reused));
  if (const auto cost = cost_per_10k_requests(t.finished_cpu_seconds, t.finished, price)) {
    line(o, "tern_cost_per_10k_requests", "gauge",
         "Mean CPU-seconds per finished generation x 10000 x --price-per-cpu-hour / 3600 (the price's currency).",
         *cost);
  }
  if (!acct.energy_available()) {
    o << "# HELP tern_energy_available 1 if RAPL energy counters are readable; here: "
      << acct.energy_unavailable_reason() << "; no energy figures are reported.\n"
      << "# TYPE tern_energy_available gauge\ntern_energy_available 0\n";
    return;
  }
  line(o, "tern_energy_available", "gauge", "1 if RAPL energy counters are readable (energy lines follow).", 1);
  if (const auto j = acct.joules_since_start()) {
    line(o, "tern_energy_joules_total", "counter",
         "RAPL package+DRAM energy since the server started (whole machine, idle included).", *j);
  }
  line(o, "tern_request_energy_joules_total", "counter",
       "RAPL energy of scheduler steps apportioned to generations by their share of each step's rows.",
       t.request_joules);
  if (t.finished_with_energy > 0) {
    const double mean = t.finished_joules / static_cast<double>(t.finished_with_energy);
    line(o, "tern_energy_joules_per_generation", "gauge", "Mean apportioned RAPL energy of finished generations.", mean);
    line(o, "tern_energy_watt_hours_per_generation", "gauge", "The same in watt-hours.", mean / 3600.0);
  }
}

}  // namespace tern::server
