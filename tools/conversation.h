// A multi-turn conversation on one Session: renders the model's chat template over the
// message list, reuses the KV cache for the longest prefix of tokens it already holds
// (so each turn evaluates only the new tokens), samples the reply and streams its text.
// Used by `tern chat` (and anything else that holds a dialogue).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/chat_prompt.h"
#include "generate/speculative.h"
#include "tern/chat_template.h"
#include "tern/sampler.h"
#include "tern/session.h"
#include "tern/tokenizer.h"

namespace tern::cli {

// What to do when the conversation no longer fits in the context.
enum class ContextPolicy {
  kStop,   // refuse the turn with a clear message (the user can /reset)
  kSlide,  // drop the oldest turns (never the system prompt) until it fits
};

struct TurnStats {
  int64_t prompt_tokens = 0;     // the whole rendered conversation, in tokens
  int64_t reused_tokens = 0;     // of those, already in the KV cache
  int64_t prompt_evaluated = 0;  // prompt tokens evaluated this turn (not reused)
  int64_t evaluated_tokens = 0;  // all evaluated this turn: prompt_evaluated + generated ones fed back
  int64_t generated_tokens = 0;
  double prompt_seconds = 0;
  double gen_seconds = 0;
  int64_t dropped_messages = 0;  // by the sliding window
  bool stopped_by_eog = false;
  bool cancelled = false;
  bool context_full = false;     // the reply was cut because the context filled up
  gen::SpecStats spec;           // forward passes and drafts, when speculating
};

class Conversation {
 public:
  using OnText = std::function<void(std::string_view)>;

  // specials: what special-token text in the messages becomes (text unless the user is
  // trusted with control tokens: --allow-special-in-content).
  Conversation(Session& session, const tok::Tokenizer& tokenizer, ChatTemplate chat_template,
               const SamplerConfig& sampling, ContextPolicy policy,
               chat::MessageSpecials specials = chat::MessageSpecials::kText);

  void set_system_prompt(const std::string& text);  // applies from the next turn
  // Speculative decoding (drafts from the conversation, src/generate/) from the next turn;
  // nullopt: plain decoding. Replies are the same tokens either way (sampled: the same
  // distribution).
  void set_speculative(std::optional<gen::DraftConfig> config) { spec_ = config; }
  // Adds the user's message and generates the reply (at most max_tokens; <= 0: until the
  // end-of-generation token or the context is full), streaming text through on_text.
  // `cancel` stops the reply early (the partial reply is kept). Throws tern::Error when the
  // conversation cannot fit even after sliding (the message is then not kept).
  TurnStats reply(const std::string& user_text, int64_t max_tokens, const std::atomic<bool>& cancel,
                  const OnText& on_text);
  // Drops the last reply and generates a new one for the same user message.
  TurnStats regenerate(int64_t max_tokens, const std::atomic<bool>& cancel, const OnText& on_text);
  // Forgets the conversation (the system prompt stays) and empties the KV cache.
  void reset();

  const nlohmann::ordered_json& messages() const { return messages_; }
  const TurnStats& last_stats() const { return last_; }
  int64_t tokens_in_cache() const { return static_cast<int64_t>(cached_.size()); }
  int64_t context_size() const { return session_.n_ctx(); }
  bool used_fallback_template() const { return template_.used_fallback(); }

 private:
  std::vector<int32_t> render_ids(bool add_generation_prompt) const;
  std::vector<int32_t> fit_prompt(int64_t reserve, TurnStats& stats);
  TurnStats generate(int64_t max_tokens, const std::atomic<bool>& cancel, const OnText& on_text);
  void generate_speculative(std::span<const float> logits, int64_t max_tokens, const std::atomic<bool>& cancel,
                            const std::function<void(int32_t)>& emit, TurnStats& st);

  Session& session_;
  const tok::Tokenizer& tok_;
  ChatTemplate template_;
  Sampler sampler_;
  ContextPolicy policy_;
  chat::MessageSpecials specials_;
  std::string system_;
  std::optional<gen::DraftConfig> spec_;
  nlohmann::ordered_json messages_ = nlohmann::ordered_json::array();  // user/assistant turns, no system
  std::vector<int32_t> cached_;  // the ids whose K/V the session holds, in order
  TurnStats last_;
};

}  // namespace tern::cli
