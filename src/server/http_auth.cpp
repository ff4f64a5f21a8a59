#include "server/http_auth.h"

#include <strings.h>

#include <fstream>
#include "tern/error.h"

namespace tern::server {

namespace {

std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Equal in constant time: every byte of `given` is compared (against the key repeated),
// and the lengths' difference is folded into the result instead of returning early.
bool same_key(std::string_view given, const std::string& key) {
  if (key.empty()) return false;
  unsigned diff = static_cast<unsigned>(given.size() ^ key.size());
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i]) ^ static_cast<unsigned char>(key[i % key.size()]);
  return diff == 0;
}

}  // namespace

std::vector<std::string> read_api_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("--api-key-file " + path + ": cannot be read");
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view key = trim(line);
    if (!key.empty() && key.front() != '#') keys.emplace_back(key);
  }
  if (keys.empty()) throw Error("--api-key-file " + path + ": holds no key (one key per line)");
  return keys;
}

bool api_key_allowed(const std::vector<std::string>& keys, std::string_view authorization) {
  if (keys.empty()) return true;
  static constexpr std::string_view kBearer = "Bearer ";
  const bool bearer = authorization.size() > kBearer.size() &&
                      ::strncasecmp(authorization.data(), kBearer.data(), kBearer.size()) == 0;  // scheme: any case
  const std::string_view given = bearer ? trim(authorization.substr(kBearer.size())) : std::string_view();
  bool ok = false;
  for (const std::string& key : keys) ok |= same_key(given, key);  // no early exit
  return ok;
}

}  // namespace tern::server
