#include "server/metrics.h"

#include <sstream>

namespace tern::server {

Metrics::Metrics() {
  EnergySample s;
  if (meter_.available() && meter_.sample(s)) start_ = s;
}

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{endpoint, status}];
}

std::string Metrics::render(const Scheduler& scheduler) const {
  const SchedulerStats st = scheduler.stats();
  std::ostringstream o;
  o << "# HELP tern_requests_total HTTP requests answered, by endpoint and status.\n"
       "# TYPE tern_requests_total counter\n";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, n] : requests_) {
      o << "tern_requests_total{endpoint=\"" << key.first << "\",status=\"" << key.second << "\"} " << n << "\n";
    }
  }
  o << "# HELP tern_prompt_tokens_total Prompt tokens evaluated (not those reused from a slot's KV cache).\n"
    << "# TYPE tern_prompt_tokens_total counter\n"
    << "tern_prompt_tokens_total " << st.tokens_in << "\n"
    << "# HELP tern_prompt_tokens_reused_total Prompt tokens found in a slot's KV cache, not evaluated.\n"
    << "# TYPE tern_prompt_tokens_reused_total counter\n"
    << "tern_prompt_tokens_reused_total " << st.tokens_reused << "\n"
    << "# HELP tern_prefill_steps_total Forward passes over prompt tokens (several requests' prompts each).\n"
    << "# TYPE tern_prefill_steps_total counter\n"
    << "tern_prefill_steps_total " << st.prefill_steps << "\n"
    << "# HELP tern_generated_tokens_total Tokens generated.\n# TYPE tern_generated_tokens_total counter\n"
    << "tern_generated_tokens_total " << st.tokens_out << "\n"
    << "# HELP tern_generated_tokens_per_second Generated tokens per second of scheduler busy time (all slots).\n"
    << "# TYPE tern_generated_tokens_per_second gauge\n"
    << "tern_generated_tokens_per_second " << (st.busy_seconds > 0 ? static_cast<double>(st.tokens_out) / st.busy_seconds : 0.0)
    << "\n"
    << "# HELP tern_queue_depth Requests waiting for a slot.\n# TYPE tern_queue_depth gauge\n"
    << "tern_queue_depth " << scheduler.queue_depth() << "\n"
    << "# HELP tern_active_slots Slots generating now.\n# TYPE tern_active_slots gauge\n"
    << "tern_active_slots " << scheduler.active_slots() << "\n"
    << "# HELP tern_slots Slots configured (--parallel).\n# TYPE tern_slots gauge\n"
    << "tern_slots " << scheduler.n_slots() << "\n"
    << "# HELP tern_generations_total Generations finished (any reason).\n# TYPE tern_generations_total counter\n"
    << "tern_generations_total " << st.jobs_done << "\n"
    << "# HELP tern_generations_cancelled_total Generations stopped because the client went away.\n"
    << "# TYPE tern_generations_cancelled_total counter\n"
    << "tern_generations_cancelled_total " << st.jobs_cancelled << "\n"
    << "# HELP tern_decode_steps_total Batched decode steps (one pass through the weights each).\n"
    << "# TYPE tern_decode_steps_total counter\n"
    << "tern_decode_steps_total " << st.decode_steps << "\n"
    << "# HELP tern_decode_rows_total Slot rows in those steps (rows / steps = mean batch size).\n"
    << "# TYPE tern_decode_rows_total counter\n"
    << "tern_decode_rows_total " << st.decode_rows << "\n"
    << "# HELP tern_spec_steps_total Decode steps of a lone slot with drafts from its context (--spec).\n"
    << "# TYPE tern_spec_steps_total counter\n"
    << "tern_spec_steps_total " << st.spec_steps << "\n"
    << "# HELP tern_spec_drafted_tokens_total Draft tokens verified in those steps.\n"
    << "# TYPE tern_spec_drafted_tokens_total counter\n"
    << "tern_spec_drafted_tokens_total " << st.spec_drafted << "\n"
    << "# HELP tern_spec_accepted_tokens_total Drafts accepted (tokens that needed no pass of their own).\n"
    << "# TYPE tern_spec_accepted_tokens_total counter\n"
    << "tern_spec_accepted_tokens_total " << st.spec_accepted << "\n";
  EnergySample now;
  if (start_ && meter_.sample(now)) {
    const double j = meter_.delta(*start_, now).total_j();
    o << "# HELP tern_energy_joules_total RAPL package+DRAM energy since the server started (whole machine).\n"
         "# TYPE tern_energy_joules_total counter\n"
      << "tern_energy_joules_total " << j << "\n"
      << "# HELP tern_energy_joules_per_generation RAPL energy since start divided by generations finished.\n"
         "# TYPE tern_energy_joules_per_generation gauge\n"
      << "tern_energy_joules_per_generation " << (st.jobs_done > 0 ? j / static_cast<double>(st.jobs_done) : 0.0) << "\n"
      << "# HELP tern_energy_watt_hours_per_generation The same in watt-hours.\n"
         "# TYPE tern_energy_watt_hours_per_generation gauge\n"
      << "tern_energy_watt_hours_per_generation "
      << (st.jobs_done > 0 ? j / static_cast<double>(st.jobs_done) / 3600.0 : 0.0) << "\n";
  }
  return o.str();
}

}  // namespace tern::server
