// tern::server::Server: an OpenAI-compatible HTTP server over one model (cpp-httplib).
//
//   Server server(model, options);
//   int port = server.bind();   // port 0 -> a free port; throws tern::Error if it cannot bind
//   server.run();               // blocks until stop() (from another thread)
//
// Routes: GET /health, GET /v1/models, GET /v1/models/{id}, GET /metrics, POST /v1/chat/completions and
// POST /v1/completions (non-streaming, or server-sent events with "stream": true).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include "server/scheduler.h"
#include "tern/model.h"
#include "tern/session.h"

namespace tern::server {

struct ServerOptions {
  std::string host = "127.0.0.1";      // loopback unless told otherwise
  int port = 8080;                      // 0: any free port
  int parallel = 1;                     // slots (concurrent generations)
  size_t max_body = 1u << 20;           // request body bytes; larger -> 413
  size_t max_queue = 16;                // requests waiting for a slot; more -> 429
  int64_t max_tokens_cap = 4096;        // largest max_tokens accepted
  int64_t default_max_tokens = 256;     // when the request gives none (capped by the context)
  int64_t prefill_chunk = 0;            // prompt tokens per scheduler pass (0 = session.n_batch)
  std::string model_id;                 // the name /v1/models lists; "" = the file's stem
  SessionOptions session;
  std::optional<std::string> chat_template;  // the model's; nullopt = tern's fallback
};

class Server {
 public:
  Server(std::shared_ptr<const Model> model, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int bind();
  void run();
  void stop();
  const std::string& model_id() const;
  // What the slots made resident at construction (KV caches, scratch).
  const ReservedMemory& reserved() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern::server
