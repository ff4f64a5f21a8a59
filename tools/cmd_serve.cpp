// `tern serve`: an OpenAI-compatible HTTP server (src/server) over one model.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include "platform/process_limits.h"
#include "platform/signals.h"
#include "server/http_auth.h"
#include "server/server.h"
#include "tern/error.h"
#include "tools/command.h"
#include "tools/model_flags.h"
#include "tools/spec_flags.h"

namespace tern::cli {
namespace {

struct ServeOptions {
  ModelFlags model;
  server::ServerOptions server;
  std::vector<std::string> api_key_files;
  SpecFlags spec;
  double drain_timeout = 30;  // seconds in-flight generations get after SIGTERM
};

// Every connection is a descriptor: the soft limit (often 1024) is raised to the hard one,
// and the connection cap lowered to what fits, with a note, rather than failing accept().
void fit_connections_to_descriptors(server::ServerOptions& s) {
  constexpr size_t kReserve = 64;  // the model file, the listener, stdio, pool threads' needs
  const std::optional<uint64_t> limit = raise_open_file_limit();
  if (!limit || *limit >= s.max_connections + kReserve) return;
  const size_t fit = *limit > 2 * kReserve ? static_cast<size_t>(*limit) - kReserve : kReserve;
  std::fprintf(stderr, "tern serve: --max-connections %zu lowered to %zu: the descriptor limit (ulimit -n) is %llu\n",
               s.max_connections, fit, static_cast<unsigned long long>(*limit));
  s.max_connections = fit;
}

// --api-key values, TERN_API_KEY, and the keys of every --api-key-file: all are accepted.
void collect_api_keys(ServeOptions& o) {
  if (const char* env = std::getenv("TERN_API_KEY"); env && *env) o.server.api_keys.emplace_back(env);
  for (const std::string& f : o.api_key_files)
    for (std::string& k : server::read_api_key_file(f)) o.server.api_keys.push_back(std::move(k));
  for (const std::string& k : o.server.api_keys)
    if (k.empty()) throw Error("--api-key: a key may not be empty");
}

// A price per CPU-hour in any currency: finite and > 0 (NaN and inf pass CLI11's ranges).
std::string check_price(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v <= 0 || v > 1e9)
    return "must be a number > 0 and <= 1e9 (a price per CPU-hour, any currency), not '" + text + "'";
  return "";
}

void add_accounting_flags(CLI::App& sub, server::ServerOptions& s) {
  sub.add_option_function<double>("--price-per-cpu-hour", [&s](double v) { s.price_per_cpu_hour = v; },
                                  "price of one CPU-hour (any currency): /metrics then shows "
                                  "tern_cost_per_10k_requests from measured CPU-seconds")
      ->check(CLI::Validator(check_price, "PRICE"));
  sub.add_option("--powercap-root", s.powercap_root, "where the RAPL powercap tree is (per-request energy)")
      ->capture_default_str();
}

int run_serve(ServeOptions& o) {
  check_spec_flags(o.spec);
  if (o.spec.on) o.server.spec = o.spec.draft;
  collect_api_keys(o);
  fit_connections_to_descriptors(o.server);
  auto model = Model::load(o.model.model, model_options(o.model));
  require_tokenizer(*model);
  o.server.session = session_options(o.model);
  o.server.chat_template = model_chat_template(*model);
  // SIGINT / SIGTERM (Windows: Ctrl-C, Ctrl-Break) are taken by a thread of their own
  // (platform/signals.h): the first drains the server (Server::drain), a second one stops
  // it at once. Blocked here, before any thread starts, so every thread inherits the mask.
  block_stop_signals();
  // Requests allocate little, so one arena costs no contention and keeps RSS from creeping.
  use_one_malloc_arena();
  server::Server srv(model, o.server);
  const int port = srv.bind();
  const std::string ctx = o.server.session.n_ctx > 0 ? std::to_string(o.server.session.n_ctx) : "the model's";
  std::fprintf(stderr, "tern serve: %s on http://%s:%d (%d slot%s batched per decode step, context %s per slot)\n", srv.model_id().c_str(),
               o.server.host.c_str(), port, o.server.parallel, o.server.parallel == 1 ? "" : "s", ctx.c_str());
  const server::ReservedMemory& mem = srv.reserved();
  std::fprintf(stderr, "tern serve: reserved and touched %.1f MB for %d slot%s (KV caches %.1f MB, scratch %.1f MB); model %.1f MB mapped and read once\n",
               static_cast<double>(mem.kv_bytes + mem.scratch_bytes) / 1e6, o.server.parallel,
               o.server.parallel == 1 ? "" : "s", static_cast<double>(mem.kv_bytes) / 1e6,
               static_cast<double>(mem.scratch_bytes) / 1e6, static_cast<double>(model->report().file_bytes) / 1e6);
  std::atomic<bool> served{false};
  std::thread drainer;
  std::thread waiter([&] {
    wait_stop_signal();
    if (served) return;
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.drain_timeout * 1000.0));
    drainer = std::thread([&srv, timeout] { srv.drain(timeout); });
    wait_stop_signal();
    if (!served) srv.stop();
  });
  srv.run();
  // run() returned (drained, stopped, or it could not serve): wake the waiter ourselves.
  served = true;
  wake_stop_waiter(waiter);
  waiter.join();
  if (drainer.joinable()) drainer.join();
  return 0;
}

const bool registered = register_command({"serve", "OpenAI-compatible HTTP server (chat and completions, SSE streaming)",
    [](CLI::App& sub) {
      auto o = std::make_shared<ServeOptions>();
      add_model_flags(sub, o->model);
      sub.add_option("--host", o->server.host, "address to listen on (default loopback only)");
      sub.add_option("--port", o->server.port, "TCP port (0 = any free port)")->check(CLI::Range(0, 65535));
      sub.add_option("--parallel", o->server.parallel, "slots: generations running at once")->check(CLI::Range(1, 256));
      sub.add_option("--max-body", o->server.max_body, "largest request body in bytes, any Content-Type (larger -> 413)");
      sub.add_option("--max-connections", o->server.max_connections,
                     "client connections open at once (one more -> 503 + Retry-After at once)")
          ->check(CLI::Range(1, 1 << 20));
      sub.add_option("--request-timeout", o->server.request_timeout,
                     "seconds to receive a request's headers and body (then the connection is closed)")
          ->check(CLI::Range(0.1, 3600.0));
      sub.add_option("--keep-alive-timeout", o->server.keep_alive_timeout,
                     "seconds an idle keep-alive connection stays open")
          ->check(CLI::Range(0.1, 3600.0));
      sub.add_option("--write-timeout", o->server.write_timeout,
                     "seconds a client may take to accept each write (then its request is cancelled)")
          ->check(CLI::Range(0.1, 3600.0));
      sub.add_option("--api-key", o->server.api_keys,
                     "require 'Authorization: Bearer KEY' (repeatable; also TERN_API_KEY); /health stays open");
      sub.add_option("--api-key-file", o->api_key_files, "file of API keys, one per line ('#' comments)")
          ->check(CLI::ExistingFile);
      sub.add_option("--cors", o->server.cors_origins,
                     "allow browser requests from ORIGIN (repeatable; '*' = any); CORS is off without it");
      sub.add_flag("!--no-request-log", o->server.log_requests, "no JSON line per request on stderr");
      sub.add_option("--max-queue", o->server.max_queue, "requests that may wait for a slot (more -> 429)");
      sub.add_option("--prefill-chunk", o->server.prefill_chunk,
                     "prompt tokens evaluated between two batched decode steps (0 = the batch size -b)")
          ->check(CLI::NonNegativeNumber);
      sub.add_flag("!--no-prefix-reuse", o->server.prefix_reuse,
                   "evaluate every prompt whole (slots keep no KV cache between requests; for measurements)");
      sub.add_option("-a,--alias", o->server.model_id,
                     "the model's name in /v1/models and in replies (default: the file's stem); requests may name any model");
      sub.add_option("--max-tokens-cap", o->server.max_tokens_cap, "largest max_tokens a request may ask")
          ->check(CLI::PositiveNumber);
      sub.add_option("--drain-timeout", o->drain_timeout,
                     "seconds generations in flight may take to finish after SIGTERM/SIGINT (/health and new requests "
                     "answer 503 meanwhile; then they end as cancelled and the process exits 0); a second signal stops at once")
          ->check(CLI::Range(0.0, 3600.0));
      add_special_in_content_flag(sub, o->server.allow_special_in_content);
      add_accounting_flags(sub, o->server);
      // Drafts are verified by a slot decoding alone; with more, the batched step shares the weights already.
      add_spec_flags(sub, o->spec);
      return [o] {
        resolve_model(o->model);
        return run_serve(*o);
      };
    }, 30});

}  // namespace
}  // namespace tern::cli
