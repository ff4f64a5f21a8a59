#include "hf/token_table_gguf.h"

#include "gguf/bitnet_names.h"

namespace tern::hf {

void write_token_table(gguf::Writer& w, const TokenTable& t) {
  namespace names = gguf::names;
  w.set_string(names::kTokModel, t.model);
  w.set_string(names::kTokPre, t.pre);
  w.set_string_array(names::kTokTokens, t.tokens);
  // llama.cpp's order: tokens, scores, token_type, merges.
  if (!t.scores.empty()) w.set_f32_array(names::kTokScores, t.scores);
  w.set_i32_array(names::kTokTokenType, t.types);
  if (!t.merges.empty() || t.model == "gpt2") w.set_string_array(names::kTokMerges, t.merges);
  if (t.bos) w.set_u32(names::kTokBos, *t.bos);
  if (t.eos) w.set_u32(names::kTokEos, *t.eos);
  if (t.eot) w.set_u32(names::kTokEot, *t.eot);
  if (t.pad) w.set_u32(names::kTokPad, *t.pad);
  if (t.unk) w.set_u32(names::kTokUnk, *t.unk);
  w.set_bool(names::kTokAddBos, t.add_bos);
  if (t.add_eos) w.set_bool(names::kTokAddEos, *t.add_eos);
  if (t.add_space_prefix) w.set_bool(names::kTokAddSpacePrefix, *t.add_space_prefix);
  if (t.chat_template) w.set_string(names::kChatTemplate, *t.chat_template);
}

}  // namespace tern::hf
