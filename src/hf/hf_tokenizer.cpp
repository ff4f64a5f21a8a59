#include "hf/hf_tokenizer.h"

#include <filesystem>
#include <unordered_map>

#include "hf/json_util.h"
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

// tokenizer_config.json writes special tokens as a string or as {"content": ...}.
std::optional<std::string> read_token_string(const JsonAt& parent, const char* key) {
  auto v = parent.find(key);
  if (!v) return std::nullopt;
  if (v->value.is_string()) return v->as_string();
  if (v->value.is_object()) return v->child("content").as_string();
  v->fail(std::string("expected a string or {\"content\": ...}, got ") + json_type_name(v->value));
}

// Describes a pre-tokenizer and records what matters for GGUF (byte level, the regex).
void summarize_pre_tokenizer(const JsonAt& at, TokenizerJson& tj, int depth) {
  at.require_object();
  const std::string& type = at.child("type").as_string();
  if (type == "Sequence" && depth < 4) {
    const JsonAt list = at.child("pretokenizers");
    list.require_array();
    tj.pre_tokenizer_summary += "Sequence[";
    for (size_t i = 0; i < list.value.size(); ++i) {
      if (i) tj.pre_tokenizer_summary += ", ";
      summarize_pre_tokenizer(list.at(i), tj, depth + 1);
    }
    tj.pre_tokenizer_summary += "]";
    return;
  }
  tj.pre_tokenizer_summary += type;
  if (type == "ByteLevel") tj.byte_level = true;
  if (type == "Split") {
    if (auto p = at.find("pattern")) {
      p->require_object();
      if (auto r = p->find("Regex")) tj.split_regex = r->as_string();
      else if (auto s = p->find("String")) tj.split_regex = s->as_string();
    }
  }
}

// The first special token of a TemplateProcessing "single" template (the BOS it prepends).
std::optional<std::string> first_template_special(const JsonAt& at, int depth) {
  if (!at.value.is_object() || depth > 4) return std::nullopt;
  auto type = at.find("type");
  if (!type || !type->value.is_string()) return std::nullopt;
  if (type->as_string() == "Sequence") {
    auto list = at.find("processors");
    if (!list || !list->value.is_array()) return std::nullopt;
    for (size_t i = 0; i < list->value.size(); ++i) {
      if (auto s = first_template_special(list->at(i), depth + 1)) return s;
    }
    return std::nullopt;
  }
  if (type->as_string() != "TemplateProcessing") return std::nullopt;
  auto single = at.find("single");
  if (!single || !single->value.is_array() || single->value.empty()) return std::nullopt;
  const JsonAt first = single->at(0);
  if (!first.value.is_object()) return std::nullopt;
  auto sp = first.find("SpecialToken");
  if (!sp) return std::nullopt;
  return sp->child("id").as_string();
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
      tj.added_tokens.push_back(read_added_token(added->at(i), std::nullopt));
    }
  }
  if (auto pre = at.find("pre_tokenizer")) summarize_pre_tokenizer(*pre, tj, 0);
  if (auto dec = at.find("decoder")) {
    dec->require_object();
    if (auto t = dec->find("type"); t && t->value.is_string() && t->as_string() == "ByteLevel") tj.byte_level = true;
  }
  if (auto post = at.find("post_processor")) tj.post_processor_first_special = first_template_special(*post, 0);
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
    throw Error(tokenizer_file + ": /pre_tokenizer: not a byte-level BPE tokenizer (" +
                (tj.pre_tokenizer_summary.empty() ? std::string("none") : tj.pre_tokenizer_summary) +
                "); only GPT-2 style byte-level BPE (Llama 3) is supported");
  }
  TokenTable t;
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
  for (const AddedToken& a : tj.added_tokens) {
    place(a.id, a.content, a.special ? TokenType::Control : TokenType::UserDefined, "/added_tokens");
  }
  for (const AddedToken& a : tc.added_tokens_decoder) {
    place(a.id, a.content, a.special ? TokenType::Control : TokenType::UserDefined,
          "tokenizer_config.json /added_tokens_decoder/" + std::to_string(a.id));
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
  t.chat_template = tc.chat_template;
  t.merges = tj.merges;
  return t;
}

TokenTable load_token_table(const std::string& dir, int64_t n_vocab, std::optional<int64_t> config_bos,
                            std::optional<int64_t> config_eos) {
  namespace fs = std::filesystem;
  const std::string tok_path = (fs::path(dir) / "tokenizer.json").string();
  const std::string cfg_path = (fs::path(dir) / "tokenizer_config.json").string();
  std::error_code ec;
  if (!fs::exists(tok_path, ec)) throw Error(tok_path + ": missing file");
  const TokenizerJson tj = parse_tokenizer_json(read_text_file(tok_path), tok_path);
  TokenizerConfig tc;
  if (fs::exists(cfg_path, ec)) tc = parse_tokenizer_config(read_text_file(cfg_path), cfg_path);
  return build_token_table(tj, tc, n_vocab, config_bos, config_eos, tok_path);
}

}  // namespace tern::hf
