// The parts of the HTTP client that need no HTTP library: which CA bundle the environment
// names, and URL origins (whom the token may be sent to). Shared by the libcurl client and
// the build without one.
#include <cctype>
#include <cstdlib>

#include "hub/http_client.h"

namespace tern::hub {

std::string ca_bundle_from_env() {
  for (const char* name : {"CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;  // an empty value never means "do not verify"
  }
  return "";
}

std::string url_origin(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t end = url.find_first_of("/?#", scheme + 3);
  std::string o = url.substr(0, end);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

bool same_origin(const std::string& a, const std::string& b) { return url_origin(a) == url_origin(b); }

}  // namespace tern::hub
