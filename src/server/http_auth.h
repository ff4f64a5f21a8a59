// Optional API keys for `tern serve` (--api-key, TERN_API_KEY, --api-key-file): a request
// must carry `Authorization: Bearer KEY` with one of them. Keys are compared in constant
// time (the time depends on the length of what the client sent, never on how much of a
// key it got right) and never logged.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace tern::server {

// The keys of a key file: one per line, surrounding blanks trimmed, empty lines and lines
// starting with '#' skipped. Throws tern::Error naming the file if it cannot be read or
// holds no key.
std::vector<std::string> read_api_key_file(const std::string& path);

// True if `authorization` (the header's value) is "Bearer K" for some K in keys. With no
// keys configured, every request is allowed.
bool api_key_allowed(const std::vector<std::string>& keys, std::string_view authorization);

}  // namespace tern::server
