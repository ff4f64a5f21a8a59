// Which free slot a new request goes to. A slot keeps its KV cache after a job ends, with
// the token ids it holds (prompt and reply), so a request that continues a conversation, or
// shares a system prompt with an earlier one, evaluates only what differs: it goes to the
// free slot whose held tokens share the longest prefix with its prompt; among equals, the
// least recently used one, so a slot holding a conversation that is still going on (used
// recently) is the last to be overwritten by unrelated prompts.
//
// A held prefix only draws a prompt to its slot when it is at least as long as what the slot
// would lose (the held tokens after it): every prompt shares a few tokens with every other
// (BOS, the chat template's first header), and those must not evict a conversation while an
// empty or stale slot is free. A continued conversation (all of the slot reused) or a system
// prompt longer than the question and reply after it always qualifies.
#pragma once
#include <cstdint>
#include <span>

namespace tern::server {

// Prompt tokens a session holding `held` (positions 0..held.size()-1) can skip: the common
// prefix, but never the last prompt token, whose logits are needed to sample the first
// token of the reply. 0 for an empty prompt.
int64_t reusable_prefix(std::span<const int32_t> held, std::span<const int32_t> prompt);

// A free slot as the choice sees it.
struct FreeSlot {
  std::span<const int32_t> held;  // the token ids its KV cache holds
  uint64_t last_used = 0;         // when it last took a job (larger = more recent)
};

struct SlotChoice {
  size_t index = 0;    // into the candidates
  int64_t reused = 0;  // prompt tokens it already holds (0 without reuse)
};

// The slot for `prompt` among `free` (not empty): the longest reusable prefix that is at
// least half of what its slot holds; ties, or no such prefix, to the least recently used.
// `reused` is what the chosen slot holds of the prompt (whatever drew it there). With reuse
// off, the least recently used slot, reused 0.
SlotChoice choose_slot(std::span<const FreeSlot> free, std::span<const int32_t> prompt, bool reuse);

}  // namespace tern::server
