// `tern serve`'s log on stderr: one JSON object per line, one line per request answered
// and one when the server starts and stops. Nothing of a request's content is written
// (no prompt, no reply text, no Authorization header): only what an operator counts.
#pragma once
#include <cstdint>
#include <string>
#include <nlohmann/json.hpp>
#include "server/http_message.h"

namespace tern::server {

struct RequestRecord {
  uint64_t id = 0;          // the transport's request number (1, 2, ... per process)
  std::string method;
  std::string route;        // the request path, cut to 200 bytes
  int status = 0;
  RequestStats stats;       // tokens, time to first token, response id (from the handler)
  double duration_ms = 0;   // from the request's first byte to the last byte of the reply
  std::string client;       // "address:port"
};

nlohmann::ordered_json request_log_line(const RequestRecord& r);

// Writes one line ({"event": ..., fields...}) to stderr in one call, so lines from
// different threads never interleave.
void write_log_line(const nlohmann::ordered_json& line);

}  // namespace tern::server
