#include "hub/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdlib>
#include <mutex>

namespace tern::hub {

namespace {

constexpr size_t kMaxCollected = 64u << 20;  // an API listing of a huge repo stays well below

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("libcurl: curl_global_init failed");
  });
}

struct State {
  const Transfer* t = nullptr;
  TransferResult* r = nullptr;
  bool stopped = false;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<State*>(user);
  s->r->headers.add_line(std::string_view(data, size * n));
  return size * n;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<State*>(user);
  const size_t bytes = size * n;
  const int status = s->r->headers.status();
  if (status / 100 == 2 && s->t->on_body) {
    if (!s->t->on_body(s->r->headers, data, bytes)) {
      s->stopped = true;
      return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
    return bytes;
  }
  if (s->r->body.size() + bytes > kMaxCollected) {
    s->stopped = true;
    return 0;
  }
  s->r->body.append(data, bytes);
  return bytes;
}

bool no_answer(CURLcode c) {
  return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_COULDNT_RESOLVE_PROXY ||
         c == CURLE_OPERATION_TIMEDOUT || c == CURLE_GOT_NOTHING || c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR;
}

}  // namespace

namespace {

// One request, no redirect followed; `redirect` gets the absolute Location of a 3xx.
TransferResult perform_once(const Transfer& t, const HttpConfig& config, std::string& redirect) {
  TransferResult r;
  State state{&t, &r, false};
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw Error("libcurl: curl_easy_init failed");
  curl_slist* headers = nullptr;
  if (!config.token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + config.token).c_str());
  char errbuf[CURL_ERROR_SIZE] = {0};
  const std::string range = std::to_string(t.range_start) + "-";
  curl_easy_setopt(curl, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "tern/0.1.0");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, config.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, config.stall_timeout_s);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!config.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config.ca_bundle.c_str());
  if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (t.head) curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (t.range_start > 0) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  char* location = nullptr;
  redirect.clear();
  if (code == CURLE_OK && curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
    redirect = location;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  r.status = static_cast<int>(status);
  if (code == CURLE_OK) return r;
  const std::string what = t.url + ": " + (errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(code));
  if (state.stopped && r.status / 100 != 2) throw Error(t.url + ": answer larger than " + std::to_string(kMaxCollected) + " bytes");
  if (state.stopped) {
    r.cut = true;
    r.error = "stopped by tern";
    return r;
  }
  if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_CONNECT_ERROR) {
    throw Error(what + " (TLS: is the server's certificate trusted? CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE or SSL_CERT_FILE "
                       "name a CA bundle)");
  }
  if (r.status == 0) {
    if (no_answer(code)) throw NetworkError(what);
    throw Error(what);
  }
  r.cut = true;
  r.error = what;
  return r;
}

}  // namespace

// Redirects are followed here rather than by libcurl, so the token goes to the origin of the
// first URL only (the Hub), whatever the redirect chain looks like.
TransferResult perform(const Transfer& t, const HttpConfig& config) {
  global_init();
  const std::string first = url_origin(t.url);
  Transfer hop = t;
  HttpConfig hop_config = config;
  std::string redirect;
  for (int n = 0;; ++n) {
    if (url_origin(hop.url) != first) hop_config.token.clear();
    TransferResult r = perform_once(hop, hop_config, redirect);
    if (!t.follow_redirects || r.status / 100 != 3 || redirect.empty()) return r;
    if (n == 10) throw Error(t.url + ": more than 10 redirects");
    hop.url = redirect;
  }
}

}  // namespace tern::hub
