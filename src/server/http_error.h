// OpenAI-style error replies ({"error": {"message", "type", "param", "code"}}), shared by
// the route handlers and the transport (401, 404, 413, 429, 503 it answers itself).
#pragma once
#include <string>
#include <nlohmann/json.hpp>
#include "server/http_message.h"

namespace tern::server {

// Seconds a client is told to wait (Retry-After) on 429 and 503: the queue or the
// connection table frees up as fast as requests finish, so soon is right.
inline constexpr int kRetryAfterSeconds = 1;

nlohmann::ordered_json error_body(const std::string& message, const std::string& type, const std::string& param = "",
                                  const std::string& code = "");

// Sets status and a JSON error body (type from the status: rate_limit_error for 429,
// server_error for 5xx, invalid_request_error otherwise), and Retry-After on 429 / 503.
void send_error(HttpResponse& res, int status, const std::string& message, const std::string& param = "",
                const std::string& code = "");

}  // namespace tern::server
