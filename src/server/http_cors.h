// CORS for browser clients of `tern serve`: off unless --cors ORIGIN is given (repeatable;
// '*' allows any origin). A request whose Origin is allowed gets Access-Control-Allow-*
// headers; a preflight (OPTIONS with Access-Control-Request-Method) is answered 204 by the
// transport without reaching a route or the API-key check (browsers send no credentials
// on a preflight).
#pragma once
#include <string>
#include <utility>
#include <vector>
#include "server/http_message.h"

namespace tern::server {

class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}
  bool enabled() const { return !origins_.empty(); }
  // True for an OPTIONS request a browser sends before the real one.
  bool is_preflight(const HttpRequest& req) const;
  // Adds the CORS headers this request's Origin earns (none if CORS is off or the origin
  // is not allowed); for a preflight, also the allowed methods and headers.
  void add_headers(const HttpRequest& req, HttpResponse& res) const;

 private:
  std::vector<std::string> origins_;
};

}  // namespace tern::server
