// The server's answers in OpenAI's JSON shapes: the whole reply, the server-sent-event
// chunks of a streamed one (with log-probabilities when asked), usage, and the model list
// and model object. The transport (server.cpp) only sends what these build.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "server/job.h"
#include "tern/sampler.h"
#include "tern/tokenizer.h"

namespace tern::server {

using ojson = nlohmann::ordered_json;

// One request's reply. Log-probabilities, when the request asked (logprobs >= 0), come in
// the endpoint's own shape:
//   chat:        choice.logprobs = {"content": [{"token", "logprob", "bytes",
//                "top_logprobs": [{"token", "logprob", "bytes"}...]}...], "refusal": null}
//   completions: choice.logprobs = {"tokens", "token_logprobs", "top_logprobs": [{token:
//                logprob}... (the chosen token and the `logprobs` best)], "text_offset"}
// One entry per generated token (the usage's completion_tokens); a token's string is its
// bytes as UTF-8 (a piece of a character shows U+FFFD; "bytes" has the exact bytes), and
// text_offset counts code points of those strings from the start of the completion.
class ReplyFormat {
 public:
  ReplyFormat(bool chat, std::string id, int64_t created, std::string model, int logprobs,
              const tok::Tokenizer& tokenizer);

  // The non-streaming body.
  ojson whole(const std::string& text, const std::vector<SampleLogprobs>& logprobs, const GenResult& result);

  bool chat() const { return chat_; }
  // Streaming: chat's first chunk (the assistant role, empty content).
  ojson first_chunk() const;
  // New text and its tokens' log-probabilities (either may be empty).
  ojson chunk(const std::string& text, const std::vector<SampleLogprobs>& logprobs);
  // The finish reason, with the usage too (an extension llama.cpp's server also makes).
  ojson last_chunk(const GenResult& result) const;
  // stream_options.include_usage: a chunk with no choices and the usage, after the last.
  ojson usage_chunk(const GenResult& result) const;

 private:
  ojson envelope(ojson choice) const;
  ojson choice_logprobs(const std::vector<SampleLogprobs>& logprobs);

  bool chat_;
  std::string id_;
  int64_t created_;
  std::string model_;
  int logprobs_;
  const tok::Tokenizer& tok_;
  int64_t text_offset_ = 0;  // completions: code points of the token strings reported so far
};

ojson usage_json(const GenResult& result);

// GET /v1/models and GET /v1/models/{id}.
ojson model_object(const std::string& model_id);
ojson models_list(const std::string& model_id);

}  // namespace tern::server
