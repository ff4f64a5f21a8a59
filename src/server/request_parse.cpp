#include "server/request_parse.h"

#include <cmath>
#include <random>
#include <set>
#include "server/message_parse.h"

namespace tern::server {
namespace {

using ojson = nlohmann::ordered_json;

[[noreturn]] void bad(const std::string& key, const std::string& why) { bad_field(key, why); }

double number_field(const ojson& body, const char* key, double lo, double hi) {
  const ojson& v = body.at(key);
  if (!v.is_number()) bad(key, "must be a number");
  const double x = v.get<double>();
  if (!(x >= lo && x <= hi)) bad(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

int64_t int_field(const ojson& body, const char* key, int64_t lo, int64_t hi) {
  const ojson& v = body.at(key);
  if (!v.is_number_integer()) bad(key, "must be an integer");
  const int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                        ? INT64_MAX : v.get<int64_t>();
  if (x < lo || x > hi) {
    bad(key, "= " + std::to_string(x) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return x;
}

bool bool_field(const ojson& body, const char* key) {
  if (!body.at(key).is_boolean()) bad(key, "must be a boolean");
  return body.at(key).get<bool>();
}

void string_field(const ojson& body, const char* key) {
  if (!body.at(key).is_string()) bad(key, "must be a string");
}

// The fields each endpoint knows. Listed here once so an unknown field is named.
const std::set<std::string>& known_fields(bool chat) {
  static const std::set<std::string> common = {
      "model", "stream", "stream_options", "max_tokens", "temperature", "top_p", "n", "stop", "seed",
      "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "user",
      "top_k", "min_p", "repeat_penalty", "ignore_eos"};  // the last four: tern's (llama.cpp's) extensions
  static const std::set<std::string> chat_fields = [] {
    std::set<std::string> s = common;
    s.insert({"messages", "max_completion_tokens", "top_logprobs", "response_format", "tools", "tool_choice",
              "parallel_tool_calls", "functions", "function_call", "metadata", "store", "service_tier", "modalities",
              "audio", "prediction", "reasoning_effort", "verbosity", "web_search_options", "prompt_cache_key",
              "safety_identifier"});
    return s;
  }();
  static const std::set<std::string> completion_fields = [] {
    std::set<std::string> s = common;
    s.insert({"prompt", "best_of", "echo", "suffix"});
    return s;
  }();
  return chat ? chat_fields : completion_fields;
}

// Fields this server has no implementation for: accepted only at the value that means
// "off", refused by name otherwise.
void refuse_unsupported(const ojson& body, bool chat) {
  auto off_unless = [&](const char* key, bool is_off, const std::string& why) {
    if (given(body, key) && !is_off) bad(key, why);
  };
  static const ojson kNull;
  auto at = [&](const char* key) -> const ojson& {
    const auto it = body.find(key);
    return it == body.end() ? kNull : *it;
  };
  auto empty_array = [&](const char* key) { return at(key).is_array() && at(key).empty(); };
  if (chat) {
    off_unless("tools", empty_array("tools"), "(function calling) is not supported by this server yet");
    off_unless("functions", empty_array("functions"), "(function calling) is not supported by this server yet");
    off_unless("tool_choice", at("tool_choice") == "none", "must be \"none\": this server does not call tools");
    off_unless("function_call", at("function_call") == "none", "must be \"none\": this server does not call tools");
    off_unless("parallel_tool_calls", false, "is only meaningful with tools, which this server does not support");
    if (given(body, "response_format")) {
      const ojson& rf = at("response_format");
      if (!rf.is_object() || !rf.contains("type") || !rf["type"].is_string()) bad("response_format", "must be an object with a string 'type'");
      const std::string t = rf["type"].get<std::string>();
      if (t == "json_object" || t == "json_schema") {
        bad("response_format", "type '" + t + "' (constrained JSON output) is not supported yet; only 'text'");
      }
      if (t != "text") bad("response_format", "type '" + t + "' is unknown; only 'text' is supported");
      if (rf.size() != 1) bad("response_format", "of type 'text' takes no other field");
    }
    off_unless("store", at("store") == false, "= true is not supported: this server stores no completions");
    off_unless("modalities", at("modalities") == ojson::array({"text"}), "may only be [\"text\"]");
    off_unless("audio", false, "output is not supported: this model writes text only");
    off_unless("prediction", false, "(predicted outputs) is not supported");
    off_unless("reasoning_effort", false, "is not supported: this model has no reasoning mode");
    off_unless("verbosity", false, "is not supported");
    off_unless("web_search_options", false, "is not supported: this server has no web search");
    off_unless("service_tier", at("service_tier") == "auto" || at("service_tier") == "default",
               "may only be \"auto\" or \"default\": this server has one tier");
    if (given(body, "metadata") && !at("metadata").is_object()) bad("metadata", "must be an object");
    for (const char* key : {"prompt_cache_key", "safety_identifier"})
      if (given(body, key)) string_field(body, key);
  } else {
    off_unless("best_of", at("best_of") == 1, "> 1 is not supported: one choice per request");
    off_unless("echo", at("echo") == false, "= true is not supported");
    off_unless("suffix", at("suffix") == "", "(insertion) is not supported");
  }
  if (given(body, "user")) string_field(body, "user");
  if (given(body, "n") && int_field(body, "n", 1, INT64_MAX) != 1) bad("n", "> 1 is not supported: one choice per request");
}

// The completions prompt: a string, a list of one string, token ids, or a list of one
// list of token ids (OpenAI's batch forms with more than one prompt are refused).
void parse_prompt(const ojson& body, const ParseLimits& limits, ParsedRequest& r) {
  if (!given(body, "prompt")) bad("prompt", "is required");
  const ojson& p = body["prompt"];
  if (p.is_string()) {
    r.prompt = p.get<std::string>();
    return;
  }
  if (p.is_array() && p.size() == 1 && p[0].is_string()) {
    r.prompt = p[0].get<std::string>();
    return;
  }
  const ojson& ids = p.is_array() && p.size() == 1 && p[0].is_array() ? p[0] : p;
  if (!ids.is_array() || ids.empty()) bad("prompt", "must be a string, a list of one string, or a list of token ids");
  std::vector<int32_t> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].is_number_integer() || ids[i].get<int64_t>() < 0 || ids[i].get<int64_t>() >= limits.n_vocab) {
      bad("prompt", "item " + std::to_string(i) + " is not a token id of this model (0.." +
                        std::to_string(limits.n_vocab - 1) + "); more than one prompt per request is not supported");
    }
    out.push_back(static_cast<int32_t>(ids[i].get<int64_t>()));
  }
  r.prompt_ids = std::move(out);
}

void parse_sampling(const ojson& body, const ParseLimits& limits, SamplerConfig& s) {
  // OpenAI's defaults (plain sampling at temperature 1); tern's extra samplers off unless asked.
  s.temperature = 1.0f;
  s.top_p = 1.0f;
  s.top_k = 0;
  s.min_p = 0.0f;
  s.repeat_penalty = 1.0f;
  if (given(body, "temperature")) s.temperature = static_cast<float>(number_field(body, "temperature", 0.0, 2.0));
  if (given(body, "top_p")) {
    s.top_p = static_cast<float>(number_field(body, "top_p", 0.0, 1.0));
    if (s.top_p <= 0.0f) bad("top_p", "must be > 0");
  }
  if (given(body, "top_k")) s.top_k = static_cast<int32_t>(int_field(body, "top_k", 0, 1 << 30));
  if (given(body, "min_p")) s.min_p = static_cast<float>(number_field(body, "min_p", 0.0, 1.0));
  if (given(body, "repeat_penalty")) s.repeat_penalty = static_cast<float>(number_field(body, "repeat_penalty", 0.01, 100.0));
  if (given(body, "presence_penalty")) s.presence_penalty = static_cast<float>(number_field(body, "presence_penalty", -2.0, 2.0));
  if (given(body, "frequency_penalty")) s.frequency_penalty = static_cast<float>(number_field(body, "frequency_penalty", -2.0, 2.0));
  if (given(body, "logit_bias")) {
    const ojson& lb = body["logit_bias"];
    if (!lb.is_object()) bad("logit_bias", "must be an object of token id -> bias");
    for (const auto& [key, value] : lb.items()) {
      // The key is a token id in decimal, exactly (no sign, spaces or leading zeros).
      const bool digits = !key.empty() && key.size() <= 10 && key.find_first_not_of("0123456789") == std::string::npos &&
                          (key == "0" || key[0] != '0');
      const int64_t id = digits ? std::stoll(key) : -1;
      if (id < 0 || id >= limits.n_vocab) bad("logit_bias", "key '" + key + "' is not a token id of this model");
      if (!value.is_number() || !(value.get<double>() >= -100.0 && value.get<double>() <= 100.0)) {
        bad("logit_bias", "value for token " + key + " must be a number in [-100, 100]");
      }
      s.logit_bias.emplace_back(static_cast<int32_t>(id), value.get<float>());
    }
  }
  if (given(body, "seed")) {
    s.seed = static_cast<uint64_t>(int_field(body, "seed", INT64_MIN, INT64_MAX));
  } else {
    s.seed = std::random_device{}();
  }
}

// chat: logprobs (bool) + top_logprobs (0..20); completions: logprobs (0..5 alternatives).
int parse_logprobs(const ojson& body, bool chat) {
  if (!chat) return given(body, "logprobs") ? static_cast<int>(int_field(body, "logprobs", 0, 5)) : -1;
  const bool on = given(body, "logprobs") && bool_field(body, "logprobs");
  if (!given(body, "top_logprobs")) return on ? 0 : -1;
  const int top = static_cast<int>(int_field(body, "top_logprobs", 0, 20));
  if (!on) bad("top_logprobs", "needs \"logprobs\": true");
  return top;
}

void parse_stop(const ojson& body, GenRequest& gen) {
  if (!given(body, "stop")) return;
  const ojson& st = body["stop"];
  if (st.is_string()) {
    gen.stop.push_back(st.get<std::string>());
  } else if (st.is_array() && st.size() <= 4) {
    for (size_t i = 0; i < st.size(); ++i) {
      if (!st[i].is_string()) bad("stop", "item " + std::to_string(i) + " must be a string");
      gen.stop.push_back(st[i].get<std::string>());
    }
  } else {
    bad("stop", "must be a string or a list of at most 4 strings");
  }
}

}  // namespace

void bad_field(const std::string& param, const std::string& why) {
  throw HttpError(400, "'" + param + "' " + why, param);
}

bool given(const ojson& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

bool template_knows_tools(const std::string& template_source) {
  return template_source.find("tool_calls") != std::string::npos;
}

ParsedRequest parse_request(const std::string& body_text, bool chat, const ParseLimits& limits) {
  ojson body = ojson::parse(body_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) throw HttpError(400, "request body is not valid JSON");
  if (!body.is_object()) throw HttpError(400, "request body must be a JSON object");
  const std::set<std::string>& known = known_fields(chat);
  for (const auto& [key, value] : body.items()) {
    if (!known.count(key)) {
      bad(key, std::string("is not a field of ") + (chat ? "/v1/chat/completions" : "/v1/completions") +
                   " (unknown fields are refused, as OpenAI refuses them)");
    }
  }
  // One model per server: clients hard-code names, so any name reaches it.
  if (given(body, "model")) string_field(body, "model");
  refuse_unsupported(body, chat);
  ParsedRequest r;
  if (chat) {
    if (!body.contains("messages")) bad("messages", "is required");
    r.messages = parse_chat_messages(body["messages"], limits.template_knows_tools);
  } else {
    parse_prompt(body, limits, r);
  }
  if (given(body, "stream")) r.stream = bool_field(body, "stream");
  if (given(body, "stream_options")) {
    const ojson& so = body["stream_options"];
    if (!r.stream) bad("stream_options", "is only allowed with \"stream\": true");
    if (!so.is_object()) bad("stream_options", "must be an object");
    for (const auto& [key, value] : so.items()) {
      const std::string at = "stream_options." + key;
      if (key != "include_usage" && key != "include_obfuscation") bad(at, "is not a field of stream_options");
      if (!value.is_null() && !value.is_boolean()) bad(at, "must be a boolean");
    }
    r.include_usage = so.contains("include_usage") && so["include_usage"].is_boolean() && so["include_usage"].get<bool>();
  }
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (!given(body, key)) continue;
    const int64_t n = int_field(body, key, 1, INT64_MAX);
    if (n > limits.max_tokens_cap) {
      bad(key, "= " + std::to_string(n) + " exceeds this server's cap of " + std::to_string(limits.max_tokens_cap));
    }
    r.max_tokens = n;
  }
  parse_sampling(body, limits, r.gen.sampling);
  r.gen.logprobs = parse_logprobs(body, chat);
  // llama.cpp's extension: generate exactly max_tokens (load tests, benchmarks).
  if (given(body, "ignore_eos")) r.gen.ignore_eos = bool_field(body, "ignore_eos");
  parse_stop(body, r.gen);
  return r;
}

}  // namespace tern::server
