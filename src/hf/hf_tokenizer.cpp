#include "hf/hf_tokenizer.h"

#include <filesystem>
#include <unordered_map>

#include "hf/json_util.h"
#include "hf/sentencepiece_model.h"
#include "hf/spm_token_table.h"
#include "tern/error.h"

namespace tern::hf {

namespace {

constexpr int64_t kMaxId = (int64_t{1} << 31) - 1;

AddedToken read_added_token(const JsonAt& at, std::optional<int64_t> id) {
  at.require_object();
  AddedToken t;
  t.id = id ? *id : at.child("id").as_int(0, kMaxId);
  t.content = at.child("content").as_string();
  if (auto v = at.find("special")) t.special = v->as_bool();
  return t;
}

// tern's tokenizer matches an added token on its exact text; these flags make transformers
// match around it (eat neighbouring spaces, only whole words).
void require_literal_match(const JsonAt& at) {
  for (const char* key : {"lstrip", "rstrip", "single_word"}) {
    if (auto v = at.find(key); v && v->as_bool()) {
      v->fail(std::string("added token with ") + key + " true is not implemented by tern's tokenizer");
    }
  }
}

// tokenizer_config.json writes special tokens as a string or as {"content": ...}.
std::optional<std::string> read_token_string(const JsonAt& parent, const char* key) {
  auto v = parent.find(key);
  if (!v) return std::nullopt;
  if (v->value.is_string()) return v->as_string();
  if (v->value.is_object()) return v->child("content").as_string();
  v->fail(std::string("expected a string or {\"content\": ...}, got ") + json_type_name(v->value));
}

}  // namespace

TokenizerJson parse_tokenizer_json(std::string_view text, const std::string& file) {
  const Json root = parse_json(text, file);
  const JsonAt at = json_root(root, file);
  at.require_object();
  TokenizerJson tj;
  const JsonAt model = at.child("model");
  model.require_object();
  tj.model_type = model.child("type").as_string();
  if (tj.model_type != "BPE") {
    model.child("type").fail("unsupported tokenizer model '" + tj.model_type + "' (expected BPE)");
  }
  const JsonAt vocab = model.child("vocab");
  vocab.require_object();
  tj.vocab.reserve(vocab.value.size());
  for (auto it = vocab.value.begin(); it != vocab.value.end(); ++it) {
    tj.vocab.emplace_back(it.key(), vocab.child(it.key()).as_int(0, kMaxId));
  }
  const JsonAt merges = model.child("merges");
  merges.require_array();
  tj.merges.reserve(merges.value.size());
  for (size_t i = 0; i < merges.value.size(); ++i) {
    const JsonAt m = merges.at(i);
    if (m.value.is_string()) {
      const std::string& s = m.as_string();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos || sp == 0 || sp + 1 == s.size() || s.find(' ', sp + 1) != std::string::npos) {
        m.fail("merge '" + s + "' is not two tokens separated by one space");
      }
      tj.merges.push_back(s);
    } else if (m.value.is_array()) {
      if (m.value.size() != 2) m.fail("a merge pair needs 2 strings, got " + std::to_string(m.value.size()));
      const std::string& a = m.at(0).as_string();
      const std::string& b = m.at(1).as_string();
      if (a.empty() || b.empty() || a.find(' ') != std::string::npos || b.find(' ') != std::string::npos) {
        m.fail("merge parts must be non-empty and contain no space (GGUF stores merges as \"a b\")");
      }
      tj.merges.push_back(a + " " + b);
    } else {
      m.fail(std::string("expected a string \"a b\" or a pair [\"a\", \"b\"], got ") + json_type_name(m.value));
    }
  }
  if (auto added = at.find("added_tokens")) {
    added->require_array();
    for (size_t i = 0; i < added->value.size(); ++i) {
      require_literal_match(added->at(i));
      tj.added_tokens.push_back(read_added_token(added->at(i), std::nullopt));
    }
  }
  tj.shape = classify_tokenizer_json(at);
  tj.byte_level = tj.shape.kind == TokenizerJsonKind::ByteLevelBpe;
  if (tj.shape.pre == "llama-bpe" || tj.shape.pre == "smaug-bpe") tj.split_regex = kLlama3SplitRegex;
  tj.pre_tokenizer_summary = tj.shape.pre_tokenizer_summary;
  tj.post_processor_first_special = tj.shape.template_bos;
  return tj;
}

TokenizerConfig parse_tokenizer_config(std::string_view text, const std::string& file) {
  const Json root = parse_json(text, file);
  const JsonAt at = json_root(root, file);
  at.require_object();
  TokenizerConfig tc;
  tc.bos_token = read_token_string(at, "bos_token");
  tc.eos_token = read_token_string(at, "eos_token");
  tc.pad_token = read_token_string(at, "pad_token");
  tc.unk_token = read_token_string(at, "unk_token");
  if (auto v = at.find("add_bos_token")) tc.add_bos_token = v->as_bool();
  if (auto v = at.find("add_eos_token")) tc.add_eos_token = v->as_bool();
  if (auto v = at.find("chat_template")) {
    if (v->value.is_string()) {
      tc.chat_template = v->as_string();
    } else if (v->value.is_array()) {
      // Named templates: [{"name": "default", "template": "..."}, ...]; keep the default.
      for (size_t i = 0; i < v->value.size(); ++i) {
        const JsonAt e = v->at(i);
        e.require_object();
        const std::string& name = e.child("name").as_string();
        const std::string& tmpl = e.child("template").as_string();
        if (name == "default" || !tc.chat_template) tc.chat_template = tmpl;
        if (name == "default") break;
      }
    } else {
      v->fail(std::string("expected a string or a list of named templates, got ") + json_type_name(v->value));
    }
  }
  if (auto dec = at.find("added_tokens_decoder")) {
    dec->require_object();
    for (auto it = dec->value.begin(); it != dec->value.end(); ++it) {
      const JsonAt e = dec->child(it.key());
      int64_t id = -1;
      const std::string& k = it.key();
      if (k.empty() || k.size() > 10 || k.find_first_not_of("0123456789") != std::string::npos ||
          (id = std::stoll(k)) > kMaxId) {
        e.fail("key is not a token id");
      }
      tc.added_tokens_decoder.push_back(read_added_token(e, id));
    }
  }
  return tc;
}

TokenTable build_token_table(const TokenizerJson& tj, const TokenizerConfig& tc, int64_t n_vocab,
                             std::optional<int64_t> config_bos, std::optional<int64_t> config_eos,
                             const std::string& tokenizer_file) {
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
  auto lookup = [&](const std::optional<std::string>& s) -> std::optional<uint32_t> {
    if (!s) return std::nullopt;
    auto it = by_content.find(*s);
    if (it == by_content.end()) {
      throw Error("tokenizer_config.json: special token '" + *s + "' is not in " + tokenizer_file);
    }
    return it->second;
  };
  auto checked = [&](int64_t id, const char* what) -> uint32_t {
    if (id < 0 || static_cast<uint64_t>(id) >= n) {
      throw Error(std::string("config.json: /") + what + ": " + std::to_string(id) +
                  " is outside vocab_size " + std::to_string(n_vocab));
    }
    return static_cast<uint32_t>(id);
  };
  t.bos = config_bos ? std::optional<uint32_t>(checked(*config_bos, "bos_token_id")) : lookup(tc.bos_token);
  t.eos = config_eos ? std::optional<uint32_t>(checked(*config_eos, "eos_token_id")) : lookup(tc.eos_token);
  if (auto it = by_content.find("<|eot_id|>"); it != by_content.end()) t.eot = it->second;
  t.pad = lookup(tc.pad_token);
  t.unk = lookup(tc.unk_token);
  if (tc.add_bos_token) {
    t.add_bos = *tc.add_bos_token;
  } else if (tj.post_processor_first_special && t.bos) {
    t.add_bos = *tj.post_processor_first_special == t.tokens[*t.bos];
  }
  if (tc.add_eos_token) {
    t.add_eos = *tc.add_eos_token;
  } else if (tj.shape.template_eos) {
    t.add_eos = true;
  }
  t.chat_template = tc.chat_template;
  t.merges = tj.merges;
  return t;
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
    TokenTable t = build_token_table(*tj, tc, n_vocab, ids.bos, ids.eos, tok_path);
    if (!t.pad && ids.pad) {
      if (*ids.pad < 0 || *ids.pad >= n_vocab) {
        throw Error("config.json: /pad_token_id: " + std::to_string(*ids.pad) + " is outside vocab_size " + std::to_string(n_vocab));
      }
      t.pad = static_cast<uint32_t>(*ids.pad);
    }
    return t;
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
