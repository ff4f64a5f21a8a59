#include "server/http_cors.h"

#include <algorithm>

namespace tern::server {

bool CorsPolicy::is_preflight(const HttpRequest& req) const {
  return enabled() && req.method == "OPTIONS" && !req.header("Access-Control-Request-Method").empty();
}

void CorsPolicy::add_headers(const HttpRequest& req, HttpResponse& res) const {
  const std::string origin = req.header("Origin");
  if (!enabled() || origin.empty()) return;
  const bool any = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
  if (!any && std::find(origins_.begin(), origins_.end(), origin) == origins_.end()) return;
  // A listed origin is echoed (with Vary, so caches keep one answer per origin); '*' is
  // answered as '*', which browsers accept for requests without cookies.
  res.set_header("Access-Control-Allow-Origin", any ? "*" : origin);
  if (!any) res.set_header("Vary", "Origin");
  if (!is_preflight(req)) return;
  res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  const std::string asked = req.header("Access-Control-Request-Headers");
  res.set_header("Access-Control-Allow-Headers", asked.empty() ? "Authorization, Content-Type" : asked);
  res.set_header("Access-Control-Max-Age", "600");
}

}  // namespace tern::server
