// OpenAI request bodies -> GenRequest, with every check that answers 4xx: the JSON field
// at fault is named in the message.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <nlohmann/json.hpp>
#include "server/job.h"

namespace tern::server {

// A request the server refuses: HTTP status, message, and the offending field ("" if none).
struct HttpError : std::runtime_error {
  HttpError(int status, const std::string& message, std::string param = "")
      : std::runtime_error(message), status(status), param(std::move(param)) {}
  int status;
  std::string param;
};

struct ParsedRequest {
  nlohmann::ordered_json messages;  // chat: the message list
  std::string prompt;               // completions: the prompt text
  bool stream = false;
  std::optional<int64_t> max_tokens;
  GenRequest gen;                   // sampling and stop filled; prompt ids and max_tokens later
};

struct ParseLimits {
  std::string model_id;
  int64_t max_tokens_cap = 4096;
};

// Throws HttpError (400 bad field / JSON, 404 unknown model).
ParsedRequest parse_request(const std::string& body, bool chat, const ParseLimits& limits);

}  // namespace tern::server
