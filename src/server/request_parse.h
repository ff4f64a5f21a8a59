// OpenAI request bodies -> GenRequest, with every check that answers 4xx: the JSON field
// at fault is named in the message and in the error's "param".
//
// Every field of OpenAI's chat and completions APIs either works or is refused with a 400
// naming it; a field OpenAI does not have (and that is not one of tern's few extensions:
// top_k, min_p, repeat_penalty, ignore_eos) is refused like OpenAI refuses it, so a typo
// never silently changes nothing. The table of fields is in the README ("tern serve").
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>
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

// Throws HttpError(400) "'param' why", naming param. The parsers' one way to refuse a field.
[[noreturn]] void bad_field(const std::string& param, const std::string& why);
// Present and not null: OpenAI's clients send null for "not set".
bool given(const nlohmann::ordered_json& object, const char* key);

struct ParsedRequest {
  nlohmann::ordered_json messages;  // chat: the message list, as the chat template gets it
  std::string prompt;               // completions: the prompt text
  std::optional<std::vector<int32_t>> prompt_ids;  // completions: the prompt given as token ids
  bool stream = false;
  bool include_usage = false;       // stream_options.include_usage: a last chunk with the usage
  std::optional<int64_t> max_tokens;
  GenRequest gen;                   // sampling, stop, logprobs filled; prompt ids and max_tokens later
};

struct ParseLimits {
  std::string model_id;             // informational: any model name is accepted (one model per server)
  int64_t max_tokens_cap = 4096;
  int32_t n_vocab = 0;              // token ids (logit_bias keys, prompt ids) must be below it
  bool template_knows_tools = false;  // assistant tool_calls and tool messages may be rendered
};

// Whether a chat template renders tool-call history: it refers to `tool_calls` (every
// template that formats tool calls reads that key of the assistant message).
bool template_knows_tools(const std::string& template_source);

// Throws HttpError (400 bad field / JSON).
ParsedRequest parse_request(const std::string& body, bool chat, const ParseLimits& limits);

}  // namespace tern::server
