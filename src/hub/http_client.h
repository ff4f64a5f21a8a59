// HTTPS requests to the Hub through libcurl: one call per request, headers parsed as they
// arrive, body handed to a callback (downloads) or collected (API answers, error bodies).
//
// Trust: the system's CA store, or a PEM bundle named by CURL_CA_BUNDLE, else
// REQUESTS_CA_BUNDLE, else SSL_CERT_FILE (the variables curl and Python's requests read, so
// one setting serves huggingface-cli and tern). Verification is never turned off.
// The token goes in "Authorization: Bearer ..." to the origin (scheme, host, port) of the URL
// asked for only: redirects are followed here, hop by hop, and the token is dropped at the
// first hop to another origin, so the Hub's CDN never sees it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "hub/response_headers.h"
#include "tern/error.h"

namespace tern::hub {

// No answer at all (connection refused, name not resolved, timed out before a status line):
// the caller may fall back to the cache, as huggingface_hub does.
class NetworkError : public Error {
 public:
  using Error::Error;
};

struct HttpConfig {
  std::string token;      // empty: no Authorization header
  std::string ca_bundle;  // empty: the system store
  long connect_timeout_s = 10;
  long stall_timeout_s = 30;  // a transfer that moves no byte this long is cut (then resumed)
};

// The CA bundle from the environment, as above (empty: none set).
std::string ca_bundle_from_env();

struct Transfer {
  std::string url;
  bool head = false;
  bool follow_redirects = false;
  uint64_t range_start = 0;  // > 0: sends "Range: bytes=N-"
  // Body bytes of a 2xx answer (the last of a followed redirect chain); its headers are
  // complete when called. Return false to stop the transfer. Unset: the body is collected.
  std::function<bool(const ResponseHeaders&, const char*, size_t)> on_body;
};

struct TransferResult {
  ResponseHeaders headers;  // of the last answer
  int status = 0;
  std::string body;         // collected body (2xx without on_body, or any non-2xx), capped
  bool cut = false;         // the answer started but the transfer broke off
  std::string error;        // libcurl's message when cut
};

// Scheme, host and port alike (the token is sent only where they match the Hub's).
bool same_origin(const std::string& a, const std::string& b);
// "https://Host:443/x" -> "https://host:443": what must match for the token to be sent.
std::string url_origin(const std::string& url);

// Throws NetworkError when no answer came, tern::Error on a TLS or other local failure.
TransferResult perform(const Transfer& t, const HttpConfig& config);

}  // namespace tern::hub
