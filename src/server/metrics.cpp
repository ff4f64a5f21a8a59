#include "server/metrics.h"

#include <sstream>
#include "server/accounting_metrics.h"

namespace tern::server {

Metrics::Metrics(std::optional<double> price_per_cpu_hour) : price_per_cpu_hour_(price_per_cpu_hour) {}

void Metrics::observe_generation(const RequestRecord& r) {
  if (r.stats.first_token_ms) ttft_.observe(*r.stats.first_token_ms / 1000.0);
  duration_.observe(r.duration_ms / 1000.0);
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
  render_histogram(o, "tern_time_to_first_token_seconds",
                   "From a generation request's arrival to its first text (requests answered with 200).",
                   ttft_.snapshot());
  render_histogram(o, "tern_inter_token_seconds",
                   "Between two tokens passed on by one generation (every token after the first).",
                   scheduler.accounting().inter_token());
  render_histogram(o, "tern_request_duration_seconds",
                   "Generation requests answered with 200, first byte in to last byte out.", duration_.snapshot());
  render_accounting(o, scheduler.accounting(), price_per_cpu_hour_);
  return o.str();
}

}  // namespace tern::server
