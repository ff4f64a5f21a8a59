#include "hf/hf_tokenizer.h"

#include <filesystem>
#include <unordered_map>

#include "hf/json_util.h"
#include "hf/sentencepiece_model.h"
#include "hf/spm_token_table.h"
#include "tern/error.h"

namespace tern::hf {

TokenTable build_token_table(const TokenizerJson& tj, const TokenizerConfig& tc, int64_t n_vocab,
                             const ConfigTokenIds& config_ids, const std::string& tokenizer_file) {
  if (!tj.byte_level) {
    throw Error(tokenizer_file + ": a SentencePiece-style BPE (byte fallback, \"▁\" for spaces), not a byte-level BPE: "
                "tern converts it from the tokenizer.model beside it, which is missing (its merges here do not carry "
                "SentencePiece's scores)");
  }
  TokenTable t;
  t.pre = tj.shape.pre;
  const auto n = static_cast<size_t>(n_vocab);
  t.tokens.assign(n, {});
  t.types.assign(n, 0);
  std::vector<bool> set(n, false);
  auto place = [&](int64_t id, const std::string& content, TokenType type, const std::string& where) {
    if (id < 0 || static_cast<uint64_t>(id) >= n) {
      throw Error(tokenizer_file + ": " + where + ": token id " + std::to_string(id) +
                  " is outside the model's vocab_size " + std::to_string(n_vocab) + " (config.json)");
    }
    const auto i = static_cast<size_t>(id);
    if (set[i] && t.tokens[i] != content) {
      throw Error(tokenizer_file + ": " + where + ": id " + std::to_string(id) + " is both '" +
                  t.tokens[i] + "' and '" + content + "'");
    }
    t.tokens[i] = content;
    // An added token overrides the plain vocab entry's type.
    if (!set[i] || type != TokenType::Normal) t.types[i] = static_cast<int32_t>(type);
    set[i] = true;
  };
  for (const auto& [content, id] : tj.vocab) place(id, content, TokenType::Normal, "/model/vocab/" + content);
  // llama.cpp's get_vocab_base: an added token is a control token when flagged special or
  // when it looks like one ("<|...|>", "<pad>", ...), user-defined otherwise.
  auto added_type = [](const AddedToken& a) {
    return a.special || token_looks_special(a.content) ? TokenType::Control : TokenType::UserDefined;
  };
  for (const AddedToken& a : tj.added_tokens) place(a.id, a.content, added_type(a), "/added_tokens");
  for (const AddedToken& a : tc.added_tokens_decoder) {
    place(a.id, a.content, added_type(a), "tokenizer_config.json /added_tokens_decoder/" + std::to_string(a.id));
  }
  std::unordered_map<std::string, uint32_t> by_content;
  for (size_t i = 0; i < n; ++i) {
    if (!set[i]) {
      t.tokens[i] = "[PAD" + std::to_string(i) + "]";
      t.types[i] = static_cast<int32_t>(TokenType::Unused);
    } else {
      by_content.emplace(t.tokens[i], static_cast<uint32_t>(i));
    }
  }
  auto id_of = [&](const std::string& text) -> std::optional<uint32_t> {
    auto it = by_content.find(text);
    return it == by_content.end() ? std::nullopt : std::optional<uint32_t>(it->second);
  };
  const tok::SpecialTokens sp = tok::resolve_special_tokens(tj, tc, config_ids, t.tokens, id_of, tokenizer_file);
  t.bos = sp.bos;
  t.eos = sp.eos;
  t.eot = sp.eot;
  t.pad = sp.pad;
  t.unk = sp.unk;
  t.add_bos = sp.add_bos;
  t.add_eos = sp.add_eos;
  t.chat_template = tc.chat_template;
  t.merges = tj.merges;
  return t;
}

TokenTable build_token_table(const TokenizerJson& tj, const TokenizerConfig& tc, int64_t n_vocab,
                             std::optional<int64_t> config_bos, std::optional<int64_t> config_eos,
                             const std::string& tokenizer_file) {
  return build_token_table(tj, tc, n_vocab, ConfigTokenIds{config_bos, config_eos, std::nullopt}, tokenizer_file);
}

TokenTable load_token_table(const std::string& dir, int64_t n_vocab, const ConfigTokenIds& ids) {
  namespace fs = std::filesystem;
  auto path = [&](const char* name) { return (fs::path(dir) / name).string(); };
  const std::string tok_path = path("tokenizer.json"), cfg_path = path("tokenizer_config.json");
  const std::string model_path = path("tokenizer.model"), added_path = path("added_tokens.json");
  std::error_code ec;
  const bool has_json = fs::exists(tok_path, ec), has_model = fs::exists(model_path, ec);
  if (!has_json && !has_model) throw Error(tok_path + ": missing file (and no tokenizer.model either)");
  TokenizerConfig tc;
  if (fs::exists(cfg_path, ec)) tc = parse_tokenizer_config(read_text_file(cfg_path), cfg_path);
  std::optional<TokenizerJson> tj;
  if (has_json) tj = parse_tokenizer_json(read_text_file(tok_path), tok_path);
  // A byte-level tokenizer.json is the tokenizer even beside a tokenizer.model (Llama 3
  // repositories ship tiktoken's ranks under that name).
  if (tj && (tj->byte_level || !has_model)) {
    return build_token_table(*tj, tc, n_vocab, ids, tok_path);
  }
  const SpmModel spm = parse_sentencepiece_model(read_text_file(model_path), model_path);
  SentencePieceSources src;
  src.model = &spm;
  src.model_file = model_path;
  if (fs::exists(added_path, ec)) {
    src.added_tokens = parse_added_tokens_json(read_text_file(added_path), added_path);
    src.added_tokens_file = added_path;
  }
  src.config = &tc;
  if (tj) {
    src.tokenizer_json = &*tj;
    src.tokenizer_json_file = tok_path;
  }
  return build_sentencepiece_token_table(src, n_vocab, ids);
}

TokenTable load_token_table(const std::string& dir, int64_t n_vocab, std::optional<int64_t> config_bos,
                            std::optional<int64_t> config_eos) {
  return load_token_table(dir, n_vocab, ConfigTokenIds{config_bos, config_eos, std::nullopt});
}

}  // namespace tern::hf
