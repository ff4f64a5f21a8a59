#include "tools/conversation.h"

#include <algorithm>
#include <utility>

#include "chat/chat_prompt.h"
#include "runtime/timer.h"
#include "tern/error.h"

namespace tern::cli {

Conversation::Conversation(Session& session, const tok::Tokenizer& tokenizer, ChatTemplate chat_template,
                           const SamplerConfig& sampling, ContextPolicy policy, chat::MessageSpecials specials)
    : session_(session), tok_(tokenizer), template_(std::move(chat_template)),
      sampler_(sampling, static_cast<int32_t>(session.n_vocab())), policy_(policy), specials_(specials) {
  session_.reset();
}

void Conversation::set_system_prompt(const std::string& text) { system_ = text; }

void Conversation::reset() {
  messages_ = nlohmann::ordered_json::array();
  cached_.clear();
  session_.reset();
  sampler_.forget_tokens();  // the random sequence goes on: the same message gets a fresh reply
}

std::vector<int32_t> Conversation::render_ids(bool add_generation_prompt) const {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  if (!system_.empty()) all.push_back({{"role", "system"}, {"content", system_}});
  for (const auto& m : messages_) all.push_back(m);
  return chat::chat_prompt_ids(template_, tok_, all, add_generation_prompt, specials_);
}

// Renders the prompt and makes it fit with `reserve` tokens to spare for the reply,
// sliding the window (dropping the oldest turns) if the policy allows.
std::vector<int32_t> Conversation::fit_prompt(int64_t reserve, TurnStats& stats) {
  const int64_t n_ctx = session_.n_ctx();
  for (;;) {
    std::vector<int32_t> ids = render_ids(true);
    if (static_cast<int64_t>(ids.size()) + reserve <= n_ctx) return ids;
    // Keep at least the newest user message; drop the oldest turn (a user message and
    // the reply that followed it).
    if (policy_ == ContextPolicy::kSlide && messages_.size() > 1) {
      const size_t drop = (messages_.size() >= 3 && messages_[1].value("role", "") == "assistant") ? 2 : 1;
      messages_.erase(messages_.begin(), messages_.begin() + static_cast<std::ptrdiff_t>(drop));
      stats.dropped_messages += static_cast<int64_t>(drop);
      continue;
    }
    const std::string size = std::to_string(ids.size()) + " prompt tokens + " + std::to_string(reserve) +
                             " for the reply > context of " + std::to_string(n_ctx);
    if (policy_ == ContextPolicy::kSlide) {
      throw Error("context full: the newest message alone does not fit (" + size + "); use a larger -c");
    }
    throw Error("context full (" + size + "): /reset to start over, or run with --context-full slide to drop the oldest turns, or a larger -c");
  }
}

TurnStats Conversation::reply(const std::string& user_text, int64_t max_tokens, const std::atomic<bool>& cancel,
                              const OnText& on_text) {
  messages_.push_back({{"role", "user"}, {"content", user_text}});
  try {
    return generate(max_tokens, cancel, on_text);
  } catch (...) {
    messages_.erase(messages_.end() - 1);
    throw;
  }
}

TurnStats Conversation::regenerate(int64_t max_tokens, const std::atomic<bool>& cancel, const OnText& on_text) {
  if (!messages_.empty() && messages_.back().value("role", "") == "assistant") messages_.erase(messages_.end() - 1);
  if (messages_.empty()) throw Error("nothing to regenerate: no user message yet");
  return generate(max_tokens, cancel, on_text);
}

TurnStats Conversation::generate(int64_t max_tokens, const std::atomic<bool>& cancel, const OnText& on_text) {
  TurnStats st;
  const int64_t n_ctx = session_.n_ctx();
  // Room for a short reply at least; the whole max_tokens only if the context allows.
  const int64_t reserve = std::min<int64_t>(max_tokens > 0 ? max_tokens : 64, std::max<int64_t>(1, n_ctx / 4));
  const std::vector<int32_t> prompt = fit_prompt(reserve, st);
  st.prompt_tokens = static_cast<int64_t>(prompt.size());

  // Reuse the KV cache for the longest common prefix; at least one token must be
  // evaluated to get the logits of the last position.
  size_t common = 0;
  while (common < cached_.size() && common < prompt.size() && cached_[common] == prompt[common]) ++common;
  common = std::min(common, prompt.size() - 1);
  session_.truncate(static_cast<int64_t>(common));
  cached_.resize(common);
  st.reused_tokens = static_cast<int64_t>(common);

  Stopwatch sw;
  const std::span<const int32_t> fresh(prompt.data() + common, prompt.size() - common);
  std::span<const float> logits = session_.eval(fresh);
  cached_.insert(cached_.end(), fresh.begin(), fresh.end());
  for (int32_t id : fresh) sampler_.accept(id);
  st.prompt_evaluated = static_cast<int64_t>(fresh.size());
  st.evaluated_tokens = st.prompt_evaluated;
  st.prompt_seconds = sw.seconds();
  sw.restart();

  tok::StreamDecoder decoder(tok_, tok::Special::kSkip);
  std::string reply;
  auto emit = [&](int32_t id) {
    ++st.generated_tokens;
    const std::string piece = decoder.push(id);
    reply += piece;
    if (!piece.empty()) on_text(piece);
  };
  if (spec_) {
    generate_speculative(logits, max_tokens, cancel, emit, st);
  } else {
    for (;;) {
      if (cancel.load(std::memory_order_relaxed)) {
        st.cancelled = true;
        break;
      }
      if (max_tokens > 0 && st.generated_tokens >= max_tokens) break;
      const int32_t next = sampler_.sample(logits);
      if (tok_.is_eog(next)) {
        st.stopped_by_eog = true;
        break;
      }
      emit(next);
      if (session_.n_past() >= n_ctx) {
        st.context_full = true;
        break;
      }
      logits = session_.eval(std::span<const int32_t>(&next, 1));
      cached_.push_back(next);
      ++st.evaluated_tokens;
    }
  }
  const std::string tail = decoder.flush();
  if (!tail.empty()) {
    reply += tail;
    on_text(tail);
  }
  st.gen_seconds = sw.seconds();
  messages_.push_back({{"role", "assistant"}, {"content", reply}});
  last_ = st;
  return st;
}

// generate()'s loop with drafts: the same replies, each forward pass evaluating the pending
// token (emitted, not yet in the KV cache) with the drafts after it. As in the plain loop,
// an end-of-generation token ends the reply unemitted, and the last emitted token of a
// reply cut by max_tokens stays unevaluated (the next turn evaluates what it needs).
void Conversation::generate_speculative(std::span<const float> logits, int64_t max_tokens,
                                        const std::atomic<bool>& cancel, const std::function<void(int32_t)>& emit,
                                        TurnStats& st) {
  const int64_t n_ctx = session_.n_ctx();
  gen::Speculator spec(session_, sampler_, *spec_);
  auto is_eog = [&](int32_t id) { return tok_.is_eog(id); };
  auto left = [&] { return max_tokens > 0 ? max_tokens - st.generated_tokens : n_ctx; };
  if (cancel.load(std::memory_order_relaxed)) {
    st.cancelled = true;
    return;
  }
  if (left() <= 0) return;
  std::vector<int32_t> context = cached_;  // the session's tokens, then the pending one
  context.push_back(sampler_.sample(logits));
  std::vector<int32_t> ready(1, context.back());
  for (;;) {
    for (int32_t id : ready) {
      if (is_eog(id)) {
        st.stopped_by_eog = true;
        break;
      }
      emit(id);
    }
    // The tokens before the pending one are in the KV cache now.
    cached_.assign(context.begin(), context.end() - 1);
    if (st.stopped_by_eog || left() <= 0) break;
    if (cancel.load(std::memory_order_relaxed)) {
      st.cancelled = true;
      break;
    }
    if (session_.n_past() >= n_ctx) {
      st.context_full = true;
      break;
    }
    const std::span<const int32_t> more = spec.step(context, left(), is_eog);
    ready.assign(more.begin(), more.end());
    context.insert(context.end(), ready.begin(), ready.end());
    st.evaluated_tokens += static_cast<int64_t>(ready.size());
  }
  st.spec = spec.stats();
}

}  // namespace tern::cli
