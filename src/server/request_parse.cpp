#include "server/request_parse.h"

#include <random>

namespace tern::server {
namespace {

using ojson = nlohmann::ordered_json;

double number_field(const ojson& body, const char* key, double lo, double hi) {
  const ojson& v = body.at(key);
  if (!v.is_number()) throw HttpError(400, std::string("'") + key + "' must be a number", key);
  const double x = v.get<double>();
  if (!(x >= lo && x <= hi)) {
    throw HttpError(400, std::string("'") + key + "' must be in [" + std::to_string(lo) + ", " +
                             std::to_string(hi) + "]", key);
  }
  return x;
}

int64_t int_field(const ojson& body, const char* key, int64_t lo, int64_t hi) {
  const ojson& v = body.at(key);
  if (!v.is_number_integer()) throw HttpError(400, std::string("'") + key + "' must be an integer", key);
  const int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                        ? INT64_MAX : v.get<int64_t>();
  if (x < lo || x > hi) {
    throw HttpError(400, std::string("'") + key + "' = " + std::to_string(x) + " is outside [" +
                             std::to_string(lo) + ", " + std::to_string(hi) + "]", key);
  }
  return x;
}

}  // namespace

ParsedRequest parse_request(const std::string& body_text, bool chat, const ParseLimits& limits) {
  ojson body = ojson::parse(body_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) throw HttpError(400, "request body is not valid JSON");
  if (!body.is_object()) throw HttpError(400, "request body must be a JSON object");
  ParsedRequest r;
  if (body.contains("model")) {
    if (!body["model"].is_string()) throw HttpError(400, "'model' must be a string", "model");
    const std::string m = body["model"].get<std::string>();
    if (m != limits.model_id) {
      throw HttpError(404, "model '" + m + "' does not exist; this server serves '" + limits.model_id + "'", "model");
    }
  }
  if (body.contains("n") && !body["n"].is_null() && int_field(body, "n", 1, INT64_MAX) != 1) {
    throw HttpError(400, "'n' > 1 is not supported: one choice per request", "n");
  }
  if (chat) {
    if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty()) {
      throw HttpError(400, "'messages' must be a non-empty array", "messages");
    }
    for (size_t i = 0; i < body["messages"].size(); ++i) {
      const ojson& m = body["messages"][i];
      const std::string at = "messages[" + std::to_string(i) + "]";
      if (!m.is_object()) throw HttpError(400, "'" + at + "' must be an object", at);
      if (!m.contains("role") || !m["role"].is_string()) throw HttpError(400, "'" + at + ".role' must be a string", at + ".role");
      if (!m.contains("content") || !m["content"].is_string()) {
        throw HttpError(400, "'" + at + ".content' must be a string", at + ".content");
      }
      r.messages.push_back({{"role", m["role"]}, {"content", m["content"]}});
    }
  } else {
    if (!body.contains("prompt")) throw HttpError(400, "'prompt' is required", "prompt");
    const ojson& p = body["prompt"];
    if (p.is_string()) {
      r.prompt = p.get<std::string>();
    } else if (p.is_array() && p.size() == 1 && p[0].is_string()) {
      r.prompt = p[0].get<std::string>();
    } else {
      throw HttpError(400, "'prompt' must be a string (or a list of one string)", "prompt");
    }
  }
  if (body.contains("stream") && !body["stream"].is_null()) {
    if (!body["stream"].is_boolean()) throw HttpError(400, "'stream' must be a boolean", "stream");
    r.stream = body["stream"].get<bool>();
  }
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (body.contains(key) && !body[key].is_null()) {
      const int64_t n = int_field(body, key, 1, INT64_MAX);
      if (n > limits.max_tokens_cap) {
        throw HttpError(400, std::string("'") + key + "' = " + std::to_string(n) + " exceeds this server's cap of " +
                                 std::to_string(limits.max_tokens_cap), key);
      }
      r.max_tokens = n;
    }
  }
  // OpenAI's defaults (plain sampling at temperature 1); tern's extra samplers off unless asked.
  SamplerConfig& s = r.gen.sampling;
  s.temperature = 1.0f;
  s.top_p = 1.0f;
  s.top_k = 0;
  s.min_p = 0.0f;
  s.repeat_penalty = 1.0f;
  if (body.contains("temperature") && !body["temperature"].is_null())
    s.temperature = static_cast<float>(number_field(body, "temperature", 0.0, 2.0));
  if (body.contains("top_p") && !body["top_p"].is_null()) {
    s.top_p = static_cast<float>(number_field(body, "top_p", 0.0, 1.0));
    if (s.top_p <= 0.0f) throw HttpError(400, "'top_p' must be > 0", "top_p");
  }
  if (body.contains("top_k") && !body["top_k"].is_null()) s.top_k = static_cast<int32_t>(int_field(body, "top_k", 0, 1 << 30));
  if (body.contains("min_p") && !body["min_p"].is_null()) s.min_p = static_cast<float>(number_field(body, "min_p", 0.0, 1.0));
  if (body.contains("repeat_penalty") && !body["repeat_penalty"].is_null()) {
    s.repeat_penalty = static_cast<float>(number_field(body, "repeat_penalty", 0.01, 100.0));
  }
  if (body.contains("seed") && !body["seed"].is_null()) {
    s.seed = static_cast<uint64_t>(int_field(body, "seed", INT64_MIN, INT64_MAX));
  } else {
    s.seed = std::random_device{}();
  }
  // llama.cpp's extension: generate exactly max_tokens (load tests, benchmarks).
  if (body.contains("ignore_eos") && !body["ignore_eos"].is_null()) {
    if (!body["ignore_eos"].is_boolean()) throw HttpError(400, "'ignore_eos' must be a boolean", "ignore_eos");
    r.gen.ignore_eos = body["ignore_eos"].get<bool>();
  }
  if (body.contains("stop") && !body["stop"].is_null()) {
    const ojson& st = body["stop"];
    if (st.is_string()) {
      r.gen.stop.push_back(st.get<std::string>());
    } else if (st.is_array() && st.size() <= 4) {
      for (size_t i = 0; i < st.size(); ++i) {
        if (!st[i].is_string()) throw HttpError(400, "'stop[" + std::to_string(i) + "]' must be a string", "stop");
        r.gen.stop.push_back(st[i].get<std::string>());
      }
    } else {
      throw HttpError(400, "'stop' must be a string or a list of at most 4 strings", "stop");
    }
  }
  return r;
}

}  // namespace tern::server
