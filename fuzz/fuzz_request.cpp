// libFuzzer target: the server's request parser (JSON body -> ParsedRequest / GenRequest).
// The first byte picks the endpoint (bit 0: chat or completions) and whether the chat
// template renders tool calls (bit 1); the rest is the body. Bad input must throw HttpError;
// any other exception escapes and libFuzzer reports it. Whatever the parser accepts must be
// a sampler config the sampler takes and a message list of role/content objects.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/request_parse.h"
#include "tern/sampler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool chat = data[0] & 1;
  tern::server::ParseLimits limits;
  limits.model_id = "m";
  limits.max_tokens_cap = 4096;
  limits.n_vocab = 1000;
  limits.template_knows_tools = data[0] & 2;
  try {
    const tern::server::ParsedRequest r = tern::server::parse_request(body, chat, limits);
    tern::Sampler sampler(r.gen.sampling, limits.n_vocab);  // throws tern::Error (escapes) if the config is invalid
    if (r.gen.logprobs < -1 || r.gen.logprobs > 20) std::abort();
    if (r.max_tokens && (*r.max_tokens < 1 || *r.max_tokens > limits.max_tokens_cap)) std::abort();
    if (chat) {
      if (!r.messages.is_array() || r.messages.empty()) std::abort();
      for (const auto& m : r.messages) {
        if (!m.is_object() || !m["role"].is_string()) std::abort();
        if (!m["content"].is_string() && !(m["content"].is_null() && m.contains("tool_calls"))) std::abort();
      }
    } else if (r.prompt_ids) {
      for (int32_t id : *r.prompt_ids)
        if (id < 0 || id >= limits.n_vocab) std::abort();
    }
  } catch (const tern::server::HttpError&) {
  }
  return 0;
}
