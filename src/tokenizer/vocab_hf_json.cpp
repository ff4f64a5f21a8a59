// Vocab from a Hugging Face tokenizer.json (byte-level BPE: Llama 3, Falcon3, GPT-2 style)
// plus an optional tokenizer_config.json, read by the one reader the converter uses too
// (hf_tokenizer_json.h): the same refusals, the same special-token rule. What is left here
// is laying the tokens out as a Vocab.
#include <unordered_map>

#include "runtime/read_file.h"
#include "tern/error.h"
#include "tern/tokenizer.h"
#include "tokenizer/hf_tokenizer_json.h"

namespace tern::tok {

Vocab vocab_from_tokenizer_json(const TokenizerJson& tj, const TokenizerConfig& tc, const ConfigTokenIds& config_ids,
                                const std::string& name) {
  if (!tj.byte_level) {
    throw Error(name + ": a SentencePiece-style BPE (byte fallback, \"▁\" for spaces): load its tokenizer.model instead");
  }
  auto fail = [&](const std::string& path, const std::string& what) { throw Error(name + ": " + path + ": " + what); };
  Vocab v;
  v.kind = ModelKind::kByteLevelBpe;
  v.source = name;

  // Tokens: model.vocab plus added_tokens, by id. Ids are dense: the largest is below the
  // number of entries (which also bounds the allocation).
  int64_t max_id = -1;
  for (const auto& e : tj.vocab) max_id = std::max(max_id, e.second);
  for (const AddedToken& a : tj.added_tokens) max_id = std::max(max_id, a.id);
  if (max_id < 0) fail("/model/vocab", "empty");
  if (max_id >= static_cast<int64_t>(tj.vocab.size() + tj.added_tokens.size()))
    fail("/model/vocab", "id " + std::to_string(max_id) + " leaves gaps (" + std::to_string(tj.vocab.size()) +
                             " vocab entries, " + std::to_string(tj.added_tokens.size()) + " added tokens)");
  v.tokens.assign(static_cast<size_t>(max_id + 1), std::string());
  v.types.assign(static_cast<size_t>(max_id + 1), TokenType::kUndefined);
  for (const auto& [text, id] : tj.vocab) {
    auto i = static_cast<size_t>(id);
    if (v.types[i] != TokenType::kUndefined) fail("/model/vocab", "id " + std::to_string(id) + " is used twice");
    v.tokens[i] = text;
    v.types[i] = TokenType::kNormal;
  }
  for (const AddedToken& a : tj.added_tokens) {
    v.tokens[static_cast<size_t>(a.id)] = a.content;
    v.types[static_cast<size_t>(a.id)] = a.special ? TokenType::kControl : TokenType::kUserDefined;
  }
  for (size_t id = 0; id < v.types.size(); ++id)
    if (v.types[id] == TokenType::kUndefined) fail("/model/vocab", "no token has id " + std::to_string(id));

  v.merges = tj.merges;
  // The shapes tokenizer_json_shape.h accepts: the Llama 3 Split (whole pre-tokens first
  // only with ignore_merges, "llama-bpe") or GPT-2's ByteLevel regex.
  v.pretokenizer_regex = tj.shape.pre == "gpt-2" ? kGpt2Pattern : kLlama3Pattern;
  v.ignore_merges = tj.shape.pre == "llama-bpe";

  std::unordered_map<std::string_view, uint32_t> by_text;
  for (size_t id = 0; id < v.tokens.size(); ++id) by_text.emplace(v.tokens[id], static_cast<uint32_t>(id));
  auto id_of = [&](const std::string& text) -> std::optional<uint32_t> {
    auto it = by_text.find(text);
    return it == by_text.end() ? std::nullopt : std::optional<uint32_t>(it->second);
  };
  const SpecialTokens sp = resolve_special_tokens(tj, tc, config_ids, v.tokens, id_of, name);
  auto id_or_none = [](std::optional<uint32_t> id) { return id ? static_cast<int32_t>(*id) : -1; };
  v.bos = id_or_none(sp.bos);
  v.eos = id_or_none(sp.eos);
  v.eot = id_or_none(sp.eot);
  v.pad = id_or_none(sp.pad);
  v.unk = id_or_none(sp.unk);
  v.add_bos = sp.add_bos;
  return v;
}

Vocab vocab_from_hf_json_text(std::string_view json_text, std::string_view config_text, const std::string& name) {
  const TokenizerJson tj = parse_tokenizer_json(json_text, name);
  const TokenizerConfig tc = config_text.empty() ? TokenizerConfig{} : parse_tokenizer_config(config_text, name + " (tokenizer_config)");
  // A tokenizer on its own, as AutoTokenizer loads it: no config.json ids.
  return vocab_from_tokenizer_json(tj, tc, ConfigTokenIds{}, name);
}

Vocab vocab_from_hf_json(const std::string& tokenizer_json_path, const std::string& tokenizer_config_path) {
  const TokenizerJson tj = parse_tokenizer_json(read_text_file(tokenizer_json_path), tokenizer_json_path);
  const TokenizerConfig tc = tokenizer_config_path.empty()
                                 ? TokenizerConfig{}
                                 : parse_tokenizer_config(read_text_file(tokenizer_config_path), tokenizer_config_path);
  return vocab_from_tokenizer_json(tj, tc, ConfigTokenIds{}, tokenizer_json_path);
}

}  // namespace tern::tok
