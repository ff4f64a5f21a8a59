// The HTTP/1.1 transport of `tern serve` (Boost.Beast over Asio): one I/O thread owns every
// socket and never blocks, so a slow or idle client costs a socket and a few KB, not a
// thread. What it enforces, so no client can starve the others:
//   - a deadline for a whole request (headers and body): request_timeout from the accept,
//     or from a keep-alive connection's first byte of the next request; then the
//     connection is closed;
//   - keep-alive connections idle longer than keep_alive_timeout are closed, and the
//     longest-idle one is closed at once when a new connection needs its place;
//   - at most max_connections open; one more is answered 503 + Retry-After at once and
//     closed (its request is not read);
//   - bodies larger than max_body get 413 naming the limit, whatever their Content-Type
//     (as soon as Content-Length says so: the body is not read);
//   - a write deadline (write_timeout) per response or streamed chunk.
// Routes marked kOnWorker (generation) run on a HandlerPool thread, where they may block;
// when every worker is busy the request is answered 429 at once. Other routes run on the
// I/O thread and must not block. Optional API keys (http_auth.h; /health and CORS
// preflights stay open), CORS (http_cors.h) and the per-request log record (http_log.h)
// are applied here, around every route.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include "server/http_log.h"
#include "server/http_message.h"

namespace tern::server {

struct HttpServerOptions {
  size_t max_body = 1u << 20;
  size_t max_connections = 1024;
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds keep_alive_timeout{5000};
  std::chrono::milliseconds write_timeout{30000};
  size_t worker_threads = 4;
  std::function<void()> warm_up;             // run once on each worker thread as it starts
  std::vector<std::string> api_keys;         // empty: no key needed
  std::vector<std::string> cors_origins;     // empty: CORS off
  std::vector<std::string> open_paths = {"/health"};  // reachable without a key
  // Called on the I/O thread when a request's reply is done (or failed).
  std::function<void(const RequestRecord&)> on_done;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

class HttpConnection;  // one client connection (http_server.cpp)

class HttpServer {
 public:
  enum class Runs { kOnIoThread, kOnWorker };

  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Before bind(). A route is a method and an exact path, or a path ending in '*' that
  // matches every path it begins (the handler reads the rest from HttpRequest::path,
  // which is percent-decoded).
  void route(const std::string& method, const std::string& path, HttpHandler handler, Runs where);
  // Listens (port 0: any free port) and starts the worker threads; returns the port.
  // Throws tern::Error if it cannot listen.
  int bind(const std::string& host, int port);
  // Serves on the calling thread (the I/O thread) until stop().
  void run();
  // From any thread, idempotent: stops accepting, closes idle connections, lets running
  // handlers finish their replies, then makes run() return.
  void stop();

  // Prometheus lines of the transport's counters (open connections, refused, timed out).
  std::string metrics_text() const;

 private:
  friend class HttpConnection;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern::server
