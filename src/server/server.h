// tern::server::Server: an OpenAI-compatible HTTP server over one model (the routes; the
// transport with its limits is http_server.h).
//
//   Server server(model, options);
//   int port = server.bind();   // port 0 -> a free port; throws tern::Error if it cannot bind
//   server.run();               // blocks until stop() or drain() (from another thread)
//
// Routes: GET /health, GET /v1/models, GET /v1/models/{id}, GET /metrics, POST /v1/chat/completions and
// POST /v1/completions (non-streaming, or server-sent events with "stream": true).
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include "server/scheduler.h"
#include "tern/model.h"
#include "tern/session.h"

namespace tern::server {

struct ServerOptions {
  std::string host = "127.0.0.1";      // loopback unless told otherwise
  int port = 8080;                      // 0: any free port
  int parallel = 1;                     // slots (concurrent generations)
  size_t max_body = 1u << 20;           // request body bytes, any Content-Type; larger -> 413
  size_t max_connections = 1024;        // open client connections; one more -> 503 at once
  double request_timeout = 10;          // seconds to receive a request's headers and body
  double keep_alive_timeout = 5;        // seconds an idle keep-alive connection stays open
  double write_timeout = 30;            // seconds for each write to a client
  std::vector<std::string> api_keys;    // empty: no key needed
  std::vector<std::string> cors_origins;  // empty: CORS off; "*": any origin
  bool log_requests = true;             // one JSON line per request on stderr
  size_t max_queue = 16;                // requests waiting for a slot; more -> 429
  int64_t max_tokens_cap = 4096;        // largest max_tokens accepted
  int64_t default_max_tokens = 256;     // when the request gives none (capped by the context)
  int64_t prefill_chunk = 0;            // prompt tokens per scheduler pass (0 = session.n_batch)
  std::optional<gen::DraftConfig> spec;  // speculative decoding of a slot decoding alone; nullopt = off
  std::optional<double> price_per_cpu_hour;  // operator's price: /metrics shows the cost per 10k requests
  std::string powercap_root = EnergyMeter::kDefaultRoot;  // RAPL counters (per-request energy)
  bool prefix_reuse = true;             // a new prompt skips what a free slot's KV cache holds of it
  std::string model_id;                 // the name /v1/models lists; "" = the file's stem
  SessionOptions session;
  std::optional<std::string> chat_template;  // the model's; nullopt = tern's fallback
  // Special-token text in message content (and in a /v1/completions prompt) becomes
  // control tokens, as for a trusted caller; off: it stays text (chat/chat_prompt.h).
  bool allow_special_in_content = false;
};

class Server {
 public:
  Server(std::shared_ptr<const Model> model, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int bind();
  void run();
  // Graceful shutdown (SIGTERM), from another thread while run() serves: GET /health and
  // new generation requests answer 503 (Connection: close) at once; generations in flight
  // finish, until `timeout` has passed, when those still running end as "cancelled"; then
  // the server stops (run() returns). Blocks until then. Logs "drain" / "drained" lines.
  void drain(std::chrono::milliseconds timeout);
  // Stops now: generations in flight end as "cancelled" (also ends a drain at once).
  void stop();
  const std::string& model_id() const;
  // What the slots made resident at construction (KV caches, scratch).
  const ReservedMemory& reserved() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern::server
