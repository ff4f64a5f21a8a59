#include "tokenizer/hf_tokenizer_json.h"

#include "runtime/json_at.h"
#include "tern/error.h"
#include "tern/tokenizer.h"

namespace tern::tok {

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

// Merges are "a b" strings or ["a", "b"] pairs; GGUF stores "a b".
std::string read_merge(const JsonAt& m) {
  if (m.value.is_string()) {
    const std::string& s = m.as_string();
    const size_t sp = s.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == s.size() || s.find(' ', sp + 1) != std::string::npos) {
      m.fail("merge '" + s + "' is not two tokens separated by one space");
    }
    return s;
  }
  if (m.value.is_array()) {
    if (m.value.size() != 2) m.fail("a merge pair needs 2 strings, got " + std::to_string(m.value.size()));
    const std::string& a = m.at(0).as_string();
    const std::string& b = m.at(1).as_string();
    if (a.empty() || b.empty() || a.find(' ') != std::string::npos || b.find(' ') != std::string::npos) {
      m.fail("merge parts must be non-empty and contain no space (GGUF stores merges as \"a b\")");
    }
    return a + " " + b;
  }
  m.fail(std::string("expected a string \"a b\" or a pair [\"a\", \"b\"], got ") + json_type_name(m.value));
}

}  // namespace

TokenizerJson parse_tokenizer_json(std::string_view text, const std::string& file) {
  const Json root = parse_json_object(text, file);
  const JsonAt at = json_root(root, file);
  TokenizerJson tj;
  const JsonAt model = at.child("model");
  model.require_object();
  tj.model_type = model.child("type").as_string();
  if (tj.model_type != "BPE") {
    model.child("type").fail("unsupported tokenizer model.type '" + tj.model_type + "' (tern implements BPE only)");
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
  for (size_t i = 0; i < merges.value.size(); ++i) tj.merges.push_back(read_merge(merges.at(i)));
  if (auto unk = model.find("unk_token")) tj.unk_token = unk->as_string();
  if (auto added = at.find("added_tokens")) {
    added->require_array();
    for (size_t i = 0; i < added->value.size(); ++i) {
      require_literal_match(added->at(i));
      tj.added_tokens.push_back(read_added_token(added->at(i), std::nullopt));
    }
  }
  tj.shape = classify_tokenizer_json(at);
  tj.byte_level = tj.shape.kind == TokenizerJsonKind::ByteLevelBpe;
  if (tj.shape.pre == "llama-bpe" || tj.shape.pre == "smaug-bpe") tj.split_regex = kLlama3Pattern;
  tj.pre_tokenizer_summary = tj.shape.pre_tokenizer_summary;
  tj.post_processor_first_special = tj.shape.template_bos;
  return tj;
}

TokenizerConfig parse_tokenizer_config(std::string_view text, const std::string& file) {
  const Json root = parse_json_object(text, file);
  const JsonAt at = json_root(root, file);
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

SpecialTokens resolve_special_tokens(const TokenizerJson& tj, const TokenizerConfig& tc, const ConfigTokenIds& config,
                                     const std::vector<std::string>& tokens, const TokenLookup& id_of,
                                     const std::string& tokenizer_file) {
  const auto n = static_cast<int64_t>(tokens.size());
  auto named = [&](const std::optional<std::string>& s, const char* key) -> std::optional<uint32_t> {
    if (!s) return std::nullopt;
    auto id = id_of(*s);
    if (!id) throw Error(std::string("tokenizer_config.json: /") + key + ": special token '" + *s + "' is not in " + tokenizer_file);
    return id;
  };
  auto from_config = [&](int64_t id, const char* key) -> uint32_t {
    if (id < 0 || id >= n) {
      throw Error(std::string("config.json: /") + key + ": " + std::to_string(id) + " is outside vocab_size " + std::to_string(n));
    }
    return static_cast<uint32_t>(id);
  };
  auto first_present = [&](std::initializer_list<const char*> names) -> std::optional<uint32_t> {
    for (const char* name : names) {
      if (auto id = id_of(name)) return id;
    }
    return std::nullopt;
  };
  SpecialTokens s;
  if (config.bos) {
    s.bos = from_config(*config.bos, "bos_token_id");
  } else if (tc.bos_token) {
    s.bos = named(tc.bos_token, "bos_token");
  } else if (tj.shape.template_bos) {
    s.bos = id_of(*tj.shape.template_bos);
  }
  if (config.eos) {
    s.eos = from_config(*config.eos, "eos_token_id");
  } else if (tc.eos_token) {
    s.eos = named(tc.eos_token, "eos_token");
  } else {
    s.eos = first_present({"<|end_of_text|>", "<|endoftext|>", "</s>"});
  }
  s.eot = first_present({"<|eot_id|>", "<|im_end|>", "<end_of_turn>"});
  s.pad = named(tc.pad_token, "pad_token");
  if (!s.pad && config.pad) s.pad = from_config(*config.pad, "pad_token_id");
  s.unk = named(tc.unk_token, "unk_token");
  if (!s.unk && tj.unk_token) s.unk = id_of(*tj.unk_token);
  if (tc.add_bos_token) {
    s.add_bos = *tc.add_bos_token;
  } else if (tj.shape.template_bos && s.bos) {
    s.add_bos = *tj.shape.template_bos == tokens[*s.bos];
  }
  if (tc.add_eos_token) {
    s.add_eos = *tc.add_eos_token;
  } else if (tj.shape.template_eos) {
    s.add_eos = true;
  }
  return s;
}

}  // namespace tern::tok
