// Which free slot a new request goes to. A slot keeps its KV cache after a job ends, with
// the token ids it holds (prompt and reply), so a request that continues a conversation, or
// shares a system prompt with an earlier one, evaluates only what differs: it goes to the
// free slot whose held tokens share the longest prefix with its prompt; among equals, the
// least recently used one, so a slot holding a conversation that is still going on (used
// recently) is the last to be overwritten by unrelated prompts.
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

// The slot for `prompt` among `free` (not empty): the longest reusable prefix, ties to the
// least recently used. With reuse off, the least recently used slot, reused 0.
SlotChoice choose_slot(std::span<const FreeSlot> free, std::span<const int32_t> prompt, bool reuse);

}  // namespace tern::server
