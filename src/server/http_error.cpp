#include "server/http_error.h"

namespace tern::server {

nlohmann::ordered_json error_body(const std::string& message, const std::string& type, const std::string& param,
                                  const std::string& code) {
  using json = nlohmann::ordered_json;
  return {{"error", {{"message", message}, {"type", type}, {"param", param.empty() ? json(nullptr) : json(param)},
                     {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

void send_error(HttpResponse& res, int status, const std::string& message, const std::string& param,
                const std::string& code) {
  res.status = status;
  const char* type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
  res.set_content(error_body(message, type, param, code).dump(), "application/json");
  if (status == 429 || status == 503) res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
}

}  // namespace tern::server
