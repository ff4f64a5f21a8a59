#include "server/openai_format.h"

#include <cmath>

#include "tokenizer/utf8.h"

namespace tern::server {
namespace {

struct TokenString {
  std::string text;   // valid UTF-8
  ojson bytes;        // the token's exact bytes
  int64_t code_points = 0;
};

TokenString token_string(const tok::Tokenizer& tok, int32_t id) {
  TokenString t;
  const std::string raw = tok.token_to_piece(id);
  t.text = tok::repair_utf8(raw, tok::Utf8Repair::kMaximalSubpart);
  t.bytes = ojson::array();
  for (unsigned char c : raw) t.bytes.push_back(static_cast<int>(c));
  for (unsigned char c : t.text) t.code_points += (c & 0xC0) != 0x80;
  return t;
}

}  // namespace

ReplyFormat::ReplyFormat(bool chat, std::string id, int64_t created, std::string model, int logprobs,
                         const tok::Tokenizer& tokenizer)
    : chat_(chat), id_(std::move(id)), created_(created), model_(std::move(model)), logprobs_(logprobs),
      tok_(tokenizer) {}

ojson ReplyFormat::envelope(ojson choice) const {
  return {{"id", id_},
          {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
          {"created", created_},
          {"model", model_},
          {"choices", ojson::array({std::move(choice)})}};
}

ojson ReplyFormat::choice_logprobs(const std::vector<SampleLogprobs>& logprobs) {
  if (logprobs_ < 0) return nullptr;
  if (chat_) {
    ojson content = ojson::array();
    for (const SampleLogprobs& lp : logprobs) {
      const TokenString t = token_string(tok_, lp.chosen.id);
      ojson top = ojson::array();
      for (const TokenLogprob& alt : lp.top) {
        const TokenString a = token_string(tok_, alt.id);
        top.push_back({{"token", a.text}, {"logprob", alt.logprob}, {"bytes", a.bytes}});
      }
      content.push_back({{"token", t.text}, {"logprob", lp.chosen.logprob}, {"bytes", t.bytes}, {"top_logprobs", top}});
    }
    return {{"content", content}, {"refusal", nullptr}};
  }
  ojson tokens = ojson::array(), token_logprobs = ojson::array(), top_logprobs = ojson::array(),
        offsets = ojson::array();
  for (const SampleLogprobs& lp : logprobs) {
    const TokenString t = token_string(tok_, lp.chosen.id);
    tokens.push_back(t.text);
    token_logprobs.push_back(lp.chosen.logprob);
    ojson top = ojson::object();
    top[t.text] = lp.chosen.logprob;
    for (const TokenLogprob& alt : lp.top) top[token_string(tok_, alt.id).text] = alt.logprob;
    top_logprobs.push_back(std::move(top));
    offsets.push_back(text_offset_);
    text_offset_ += t.code_points;
  }
  return {{"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top_logprobs}, {"text_offset", offsets}};
}

ojson ReplyFormat::whole(const std::string& text, const std::vector<SampleLogprobs>& logprobs, const GenResult& r) {
  ojson choice = {{"index", 0}};
  if (chat_) {
    choice["message"] = {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}};
  } else {
    choice["text"] = text;
  }
  choice["logprobs"] = choice_logprobs(logprobs);
  choice["finish_reason"] = r.finish_reason;
  return {{"id", id_},
          {"object", chat_ ? "chat.completion" : "text_completion"},
          {"created", created_},
          {"model", model_},
          {"choices", ojson::array({choice})},
          {"usage", usage_json(r)}};
}

ojson ReplyFormat::first_chunk() const {
  return envelope({{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr},
                   {"finish_reason", nullptr}});
}

ojson ReplyFormat::chunk(const std::string& text, const std::vector<SampleLogprobs>& logprobs) {
  ojson choice = {{"index", 0}};
  if (chat_) {
    choice["delta"] = {{"content", text}};
  } else {
    choice["text"] = text;
  }
  choice["logprobs"] = choice_logprobs(logprobs);
  choice["finish_reason"] = nullptr;
  return envelope(std::move(choice));
}

ojson ReplyFormat::last_chunk(const GenResult& r) const {
  ojson choice = {{"index", 0}};
  if (chat_) {
    choice["delta"] = ojson::object();
  } else {
    choice["text"] = "";
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = r.finish_reason;
  ojson last = envelope(std::move(choice));
  last["usage"] = usage_json(r);
  return last;
}

ojson ReplyFormat::usage_chunk(const GenResult& r) const {
  ojson u = envelope(nullptr);
  u["choices"] = ojson::array();
  u["usage"] = usage_json(r);
  return u;
}

// prompt_tokens counts every prompt token; prompt_tokens_details.cached_tokens those of them
// found in the slot's KV cache (a previous request's prefix) and not evaluated again, the
// field OpenAI reports its prompt caching in.
ojson usage_json(const GenResult& r) {
  // "tern": an extension with the request's measured cost (server/accounting.h); energy is
  // null where RAPL is not readable.
  ojson tern = {{"cpu_seconds", std::round(r.cpu_seconds * 1e6) / 1e6}, {"energy_joules", nullptr}, {"energy_wh", nullptr}};
  if (r.energy_joules) {
    tern["energy_joules"] = *r.energy_joules;
    tern["energy_wh"] = *r.energy_joules / 3600.0;
  }
  return {{"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", r.completion_tokens},
          {"total_tokens", r.prompt_tokens + r.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", r.cached_tokens}}},
          {"tern", std::move(tern)}};
}

ojson model_object(const std::string& model_id) {
  return {{"id", model_id}, {"object", "model"}, {"created", 0}, {"owned_by", "tern"}};
}

ojson models_list(const std::string& model_id) {
  return {{"object", "list"}, {"data", ojson::array({model_object(model_id)})}};
}

}  // namespace tern::server
