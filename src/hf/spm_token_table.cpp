#include "hf/spm_token_table.h"

#include <unordered_map>

#include "hf/json_util.h"
#include "tern/error.h"

namespace tern::hf {

namespace {

constexpr int64_t kMaxId = (int64_t{1} << 31) - 1;
constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // "▁"
// llama.cpp's scores for what tokenizer.model does not score.
constexpr float kAddedScore = -1000.0f, kUnsetScore = -10000.0f;

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0;;) {
    const size_t at = s.find(from, pos);
    out.append(s.substr(pos, at == std::string_view::npos ? std::string_view::npos : at - pos));
    if (at == std::string_view::npos) return out;
    out.append(to);
    pos = at + from.size();
  }
}

bool starts_ends(std::string_view s, std::string_view a, std::string_view b) {
  return s.size() >= a.size() + b.size() && s.substr(0, a.size()) == a && s.substr(s.size() - b.size()) == b;
}

class Table {
 public:
  explicit Table(int64_t n_vocab) : n_(static_cast<size_t>(n_vocab)) {
    t_.tokens.resize(n_);
    t_.scores.assign(n_, kUnsetScore);
    t_.types.assign(n_, static_cast<int32_t>(TokenType::Unused));
    set_.assign(n_, false);
    for (size_t i = 0; i < n_; ++i) t_.tokens[i] = "[PAD" + std::to_string(i) + "]";
  }
  // Places `text` at `id`; an id past vocab_size or a second, different text is an error
  // (llama.cpp only warns, and the model then has a token it cannot embed or two names
  // for one row).
  void place(int64_t id, const std::string& text, float score, TokenType type, const std::string& where) {
    check_range(id, where);
    const auto i = static_cast<size_t>(id);
    if (set_[i] && t_.tokens[i] != text) {
      throw Error(where + ": id " + std::to_string(id) + " is both '" + t_.tokens[i] + "' and '" + text + "'");
    }
    overwrite(id, text, score, type);
  }
  // For added tokens, which re-type (and "▁"->" " rename) what is already there.
  void overwrite(int64_t id, const std::string& text, float score, TokenType type) {
    const auto i = static_cast<size_t>(id);
    t_.tokens[i] = text;
    t_.scores[i] = score;
    t_.types[i] = static_cast<int32_t>(type);
    set_[i] = true;
  }
  void check_range(int64_t id, const std::string& where) const {
    if (id < 0 || static_cast<uint64_t>(id) >= n_) {
      throw Error(where + ": token id " + std::to_string(id) + " is outside the model's vocab_size " +
                  std::to_string(n_) + " (config.json)");
    }
  }
  bool is_set(int64_t id) const { return id >= 0 && static_cast<uint64_t>(id) < n_ && set_[static_cast<size_t>(id)]; }
  const std::string& text(int64_t id) const { return t_.tokens[static_cast<size_t>(id)]; }
  TokenType type(int64_t id) const { return static_cast<TokenType>(t_.types[static_cast<size_t>(id)]); }
  size_t size() const { return n_; }
  TokenTable take() { return std::move(t_); }

 private:
  size_t n_;
  TokenTable t_;
  std::vector<bool> set_;
};

// tokenizer.json (if present) must encode like tokenizer.model: transformers uses it.
void check_tokenizer_json(const SentencePieceSources& src, const Table& table) {
  const TokenizerJson& tj = *src.tokenizer_json;
  const SpmModel& m = *src.model;
  const std::string& f = src.tokenizer_json_file;
  if (tj.shape.kind != TokenizerJsonKind::SentencePieceBpe) {
    throw Error(f + ": /pre_tokenizer: a byte-level BPE (" + tj.shape.pre_tokenizer_summary + ") beside the SentencePiece " +
                src.model_file + ": the two tokenizers disagree");
  }
  if (tj.shape.add_space_prefix != m.add_dummy_prefix) {
    throw Error(f + ": /normalizer: " + (tj.shape.add_space_prefix ? "prepends" : "does not prepend") +
                " \"▁\" but " + src.model_file + " normalizer_spec.add_dummy_prefix is " +
                (m.add_dummy_prefix ? "true" : "false"));
  }
  if (tj.shape.byte_fallback != m.byte_fallback) {
    throw Error(f + ": /model/byte_fallback: " + (tj.shape.byte_fallback ? "true" : "false") + " but " + src.model_file +
                " trainer_spec.byte_fallback is " + (m.byte_fallback ? "true" : "false"));
  }
  if (tj.vocab.size() != m.pieces.size()) {
    throw Error(f + ": /model/vocab: " + std::to_string(tj.vocab.size()) + " entries, " + src.model_file + " has " +
                std::to_string(m.pieces.size()) + " pieces");
  }
  for (const auto& [piece, id] : tj.vocab) {
    if (id < 0 || static_cast<size_t>(id) >= m.pieces.size() || m.pieces[static_cast<size_t>(id)].piece != piece) {
      throw Error(f + ": /model/vocab/" + piece + ": id " + std::to_string(id) + " is not that piece in " + src.model_file);
    }
  }
  for (size_t i = 0; i < tj.added_tokens.size(); ++i) {
    const AddedToken& a = tj.added_tokens[i];
    const std::string where = f + ": /added_tokens/" + std::to_string(i);
    if (!table.is_set(a.id)) throw Error(where + ": id " + std::to_string(a.id) + " ('" + a.content + "') is not in the converted vocabulary");
    const std::string& have = table.text(a.id);
    if (have != a.content && have != replace_all(a.content, kSpaceSymbol, " ")) {
      throw Error(where + ": id " + std::to_string(a.id) + " is '" + a.content + "' here but '" + have + "' in the converted vocabulary");
    }
  }
}

}  // namespace

bool token_looks_special(std::string_view t) {
  return t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]" || starts_ends(t, "<|", "|>") ||
         starts_ends(t, "<\xEF\xBD\x9C", "\xEF\xBD\x9C>") /* <｜...｜> */ || starts_ends(t, "<unused", ">");
}

std::vector<AddedToken> parse_added_tokens_json(std::string_view text, const std::string& file) {
  const Json root = parse_json(text, file);
  const JsonAt at = json_root(root, file);
  at.require_object();
  std::vector<AddedToken> out;
  for (auto it = at.value.begin(); it != at.value.end(); ++it) {
    out.push_back({at.child(it.key()).as_int(0, kMaxId), it.key(), false});
  }
  return out;
}

TokenTable build_sentencepiece_token_table(const SentencePieceSources& src, int64_t n_vocab,
                                           const ConfigTokenIds& config_ids) {
  const SpmModel& m = *src.model;
  check_sentencepiece_supported(m, src.model_file);
  if (static_cast<uint64_t>(n_vocab) < m.pieces.size()) {
    throw Error(src.model_file + ": pieces: " + std::to_string(m.pieces.size()) +
                " pieces, more than the model's vocab_size " + std::to_string(n_vocab) + " (config.json)");
  }
  static const TokenizerConfig kNoConfig;
  const TokenizerConfig& tc = src.config ? *src.config : kNoConfig;

  Table table(n_vocab);
  for (size_t id = 0; id < m.pieces.size(); ++id) {
    const SpmPiece& p = m.pieces[id];
    table.place(static_cast<int64_t>(id), p.piece, p.score, static_cast<TokenType>(p.type),
                src.model_file + ": pieces[" + std::to_string(id) + "]");
  }
  // Added tokens replace what is at their id (llama.cpp's order: added_tokens.json, then
  // tokenizer_config.json's added_tokens_decoder).
  auto replace = [&](const AddedToken& a, const std::string& text, TokenType type, const std::string& where) {
    table.check_range(a.id, where);
    if (table.is_set(a.id) && table.text(a.id) != a.content && table.text(a.id) != text) {
      throw Error(where + ": id " + std::to_string(a.id) + " is '" + a.content + "' but '" + table.text(a.id) +
                  "' already");
    }
    table.overwrite(a.id, text, kAddedScore, type);
  };
  for (const AddedToken& a : src.added_tokens) {
    replace(a, a.content, TokenType::UserDefined, src.added_tokens_file + ": /" + a.content);
  }
  for (const AddedToken& a : tc.added_tokens_decoder) {
    const bool control = a.special || token_looks_special(a.content);
    // User-defined tokens are matched on raw text, so "▁" in them stands for a space.
    const std::string text = control ? a.content : replace_all(a.content, kSpaceSymbol, " ");
    replace(a, text, control ? TokenType::Control : TokenType::UserDefined,
            "tokenizer_config.json: /added_tokens_decoder/" + std::to_string(a.id));
  }
  if (src.tokenizer_json) check_tokenizer_json(src, table);

  std::unordered_map<std::string, uint32_t> by_text;
  for (size_t i = 0; i < table.size(); ++i) {
    if (table.type(static_cast<int64_t>(i)) != TokenType::Unused) by_text.emplace(table.text(static_cast<int64_t>(i)), static_cast<uint32_t>(i));
  }
  auto lookup = [&](const std::optional<std::string>& s, const char* key) -> std::optional<uint32_t> {
    if (!s) return std::nullopt;
    auto it = by_text.find(*s);
    if (it == by_text.end()) {
      throw Error(std::string("tokenizer_config.json: /") + key + ": '" + *s + "' is not in " + src.model_file);
    }
    return it->second;
  };
  auto checked = [&](int64_t id, const char* key) -> uint32_t {
    if (id < 0 || static_cast<uint64_t>(id) >= table.size()) {
      throw Error(std::string("config.json: /") + key + ": " + std::to_string(id) + " is outside vocab_size " +
                  std::to_string(table.size()));
    }
    return static_cast<uint32_t>(id);
  };
  // The trainer's id when its piece has the type sentencepiece gives it there.
  auto from_model = [&](int32_t id, TokenType want) -> std::optional<uint32_t> {
    if (id < 0 || static_cast<size_t>(id) >= m.pieces.size()) return std::nullopt;
    if (static_cast<TokenType>(m.pieces[static_cast<size_t>(id)].type) != want) return std::nullopt;
    return static_cast<uint32_t>(id);
  };

  TokenTable t = table.take();
  t.model = "llama";
  t.pre = "default";
  t.bos = config_ids.bos ? std::optional<uint32_t>(checked(*config_ids.bos, "bos_token_id"))
                         : tc.bos_token ? lookup(tc.bos_token, "bos_token") : from_model(m.bos_id, TokenType::Control);
  t.eos = config_ids.eos ? std::optional<uint32_t>(checked(*config_ids.eos, "eos_token_id"))
                         : tc.eos_token ? lookup(tc.eos_token, "eos_token") : from_model(m.eos_id, TokenType::Control);
  t.unk = tc.unk_token ? lookup(tc.unk_token, "unk_token") : from_model(m.unk_id, TokenType::Unknown);
  t.pad = tc.pad_token                ? lookup(tc.pad_token, "pad_token")
          : config_ids.pad            ? std::optional<uint32_t>(checked(*config_ids.pad, "pad_token_id"))
          : m.pad_id >= 0             ? from_model(m.pad_id, TokenType::Control)
                                      : std::nullopt;
  const TokenizerJsonShape* shape = src.tokenizer_json ? &src.tokenizer_json->shape : nullptr;
  if (tc.add_bos_token) {
    t.add_bos = *tc.add_bos_token;
  } else if (shape && shape->has_template) {
    t.add_bos = shape->template_bos.has_value();
  } else {
    t.add_bos = true;  // sentencepiece models start with BOS unless told otherwise (llama.cpp's default)
  }
  if (tc.add_eos_token) {
    t.add_eos = *tc.add_eos_token;
  } else if (shape && shape->template_eos) {
    t.add_eos = true;
  }
  t.add_space_prefix = m.add_dummy_prefix;
  t.chat_template = tc.chat_template;
  return t;
}

}  // namespace tern::hf
