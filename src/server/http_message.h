// What a route handler of `tern serve` sees of HTTP: one parsed request in, one response
// out (a whole body, or a body the handler streams through a StreamSink). The transport
// behind it (http_server.*, Boost.Beast) is invisible here, so handlers and their tests
// need no networking headers.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", "OPTIONS", ...
  std::string path;    // the target without its query string
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;    // complete; at most --max-body bytes
  std::string remote_addr;
  int remote_port = 0;
  // The connection's socket, only for peer_hung_up() (client_socket.h) while the handler
  // runs: the transport keeps it open until the handler has returned.
  int fd = -1;
  std::chrono::steady_clock::time_point received;  // when the whole request was in

  // Value of the first header with this name (case-insensitive), "" if absent.
  std::string header(std::string_view name) const;
};

// What the handler reports for the request's log line (http_log.h); never prompt text.
struct RequestStats {
  std::string response_id;                // "chatcmpl-7", ... ("" for other routes)
  std::optional<int64_t> tokens_in;        // prompt tokens
  std::optional<int64_t> tokens_out;       // generated tokens
  std::optional<double> first_token_ms;    // from `received` to the first generated text
  std::optional<double> cpu_seconds;       // process CPU apportioned to the generation (server/accounting.h)
  std::optional<double> energy_joules;     // likewise RAPL energy; nullopt where RAPL is not readable
};

// A response body being sent in chunks (SSE). Called from the handler's thread.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Sends data and returns once it is written; false if the client is gone (or too slow:
  // the write deadline passed), after which nothing more is sent.
  virtual bool write(const std::string& data) = 0;
  // False once the client has hung up (checked without sending anything).
  virtual bool is_writable() = 0;
  virtual RequestStats& stats() = 0;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  std::string body;
  // When set, the body is sent chunked: the transport sends the status and headers, then
  // calls this on the handler's thread, which writes until the reply is complete.
  std::function<void(StreamSink&)> stream;
  RequestStats stats;
  bool close_connection = false;  // "Connection: close" even if the client asked keep-alive

  void set_content(std::string content, std::string type) {
    body = std::move(content);
    content_type = std::move(type);
  }
  void set_header(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

}  // namespace tern::server
