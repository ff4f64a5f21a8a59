// Vocab from a Hugging Face tokenizer.json (byte-level BPE: Llama 3, GPT-2 style) plus an
// optional tokenizer_config.json (bos_token, eos_token, pad_token, add_bos_token).
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "tern/error.h"
#include "tern/tokenizer.h"

namespace tern::tok {

namespace {

using nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json parse_json(std::string_view text, const std::string& name) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    throw Error(name + ": invalid JSON: " + e.what());
  }
}

// Every pre-tokenizer (flattening "Sequence") in order.
void flatten(const json& node, const char* list_key, std::vector<const json*>& out) {
  if (!node.is_object()) return;
  if (node.value("type", "") == "Sequence" && node.contains(list_key) && node[list_key].is_array()) {
    for (const json& child : node[list_key]) flatten(child, list_key, out);
  } else {
    out.push_back(&node);
  }
}

// A token given as "text" or {"content": "text"} (tokenizer_config.json uses both).
std::optional<std::string> token_string(const json& cfg, const char* key) {
  if (!cfg.contains(key)) return std::nullopt;
  const json& t = cfg[key];
  if (t.is_string()) return t.get<std::string>();
  if (t.is_object() && t.contains("content") && t["content"].is_string()) return t["content"].get<std::string>();
  return std::nullopt;
}

}  // namespace

namespace {

Vocab vocab_from_json_docs(std::string_view json_text, std::string_view config_text, const std::string& name) {
  const json doc = parse_json(json_text, name);
  auto fail = [&](const std::string& path, const std::string& what) -> void {
    throw Error(name + ": " + path + ": " + what);
  };
  if (!doc.is_object() || !doc.contains("model") || !doc["model"].is_object()) fail("model", "missing");
  const json& model = doc["model"];
  if (model.value("type", "") != "BPE")
    fail("model.type", "'" + model.value("type", std::string("?")) + "' is not supported (BPE only)");
  if (!model.contains("vocab") || !model["vocab"].is_object()) fail("model.vocab", "missing or not an object");
  if (doc.contains("normalizer") && !doc["normalizer"].is_null())
    fail("normalizer", "normalizers are not supported (byte-level BPE has none)");

  Vocab v;
  v.kind = ModelKind::kByteLevelBpe;
  v.source = name;

  // Tokens: model.vocab plus added_tokens, by id.
  std::vector<std::pair<int64_t, std::string>> entries;
  for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
    if (!it.value().is_number_integer()) fail("model.vocab['" + it.key() + "']", "id is not an integer");
    entries.emplace_back(it.value().get<int64_t>(), it.key());
  }
  std::vector<std::tuple<int64_t, std::string, bool>> added;
  if (doc.contains("added_tokens") && doc["added_tokens"].is_array()) {
    for (size_t i = 0; i < doc["added_tokens"].size(); ++i) {
      const json& a = doc["added_tokens"][i];
      std::string path = "added_tokens[" + std::to_string(i) + "]";
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
          !a["content"].is_string())
        fail(path, "needs an integer id and a string content");
      added.emplace_back(a["id"].get<int64_t>(), a["content"].get<std::string>(), a.value("special", true));
    }
  }
  int64_t max_id = -1;
  for (const auto& e : entries) max_id = std::max(max_id, e.first);
  for (const auto& a : added) max_id = std::max(max_id, std::get<0>(a));
  if (max_id < 0) fail("model.vocab", "empty");
  // Ids are dense: the largest is below the number of entries (bounds the allocation).
  if (max_id >= static_cast<int64_t>(entries.size() + added.size()))
    fail("model.vocab", "id " + std::to_string(max_id) + " leaves gaps (" + std::to_string(entries.size()) +
                            " vocab entries, " + std::to_string(added.size()) + " added tokens)");
  for (const auto& e : entries)
    if (e.first < 0) fail("model.vocab['" + e.second + "']", "negative id");
  v.tokens.assign(static_cast<size_t>(max_id + 1), std::string());
  v.types.assign(static_cast<size_t>(max_id + 1), TokenType::kUndefined);
  for (auto& e : entries) {
    auto id = static_cast<size_t>(e.first);
    if (v.types[id] != TokenType::kUndefined) fail("model.vocab", "id " + std::to_string(id) + " is used twice");
    v.tokens[id] = std::move(e.second);
    v.types[id] = TokenType::kNormal;
  }
  for (auto& [id, content, special] : added) {
    if (id < 0) fail("added_tokens", "negative id");
    v.tokens[static_cast<size_t>(id)] = content;
    v.types[static_cast<size_t>(id)] = special ? TokenType::kControl : TokenType::kUserDefined;
  }
  for (size_t id = 0; id < v.types.size(); ++id)
    if (v.types[id] == TokenType::kUndefined) fail("model.vocab", "no token has id " + std::to_string(id));

  // Merges: "left right" strings or ["left", "right"] pairs.
  if (model.contains("merges") && model["merges"].is_array()) {
    const json& merges = model["merges"];
    v.merges.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
      const json& m = merges[i];
      if (m.is_string()) {
        v.merges.push_back(m.get<std::string>());
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        v.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
      } else {
        fail("model.merges[" + std::to_string(i) + "]", "neither \"left right\" nor [left, right]");
      }
    }
  }
  v.ignore_merges = model.value("ignore_merges", false);
  if (model.value("byte_fallback", false)) fail("model.byte_fallback", "byte fallback BPE is not supported here; load tokenizer.model");

  // Pre-tokenizer: Split(Regex, Isolated) and/or ByteLevel.
  std::vector<const json*> pres;
  if (doc.contains("pre_tokenizer")) flatten(doc["pre_tokenizer"], "pretokenizers", pres);
  bool byte_level = false;
  for (const json* p : pres) {
    std::string type = p->value("type", "");
    if (type == "Split") {
      if (!(*p).contains("pattern") || !(*p)["pattern"].is_object() || !(*p)["pattern"].contains("Regex"))
        fail("pre_tokenizer.Split.pattern", "only Regex patterns are supported");
      if (p->value("behavior", "") != "Isolated" || p->value("invert", false))
        fail("pre_tokenizer.Split", "only behavior Isolated without invert is supported");
      if (!v.pretokenizer_regex.empty()) fail("pre_tokenizer", "more than one Split");
      v.pretokenizer_regex = (*p)["pattern"]["Regex"].get<std::string>();
    } else if (type == "ByteLevel") {
      byte_level = true;
      if (p->value("add_prefix_space", false)) fail("pre_tokenizer.ByteLevel.add_prefix_space", "true is not supported");
      if (p->value("use_regex", true)) {
        if (!v.pretokenizer_regex.empty()) fail("pre_tokenizer", "Split followed by a ByteLevel regex");
        v.pretokenizer_regex = kGpt2Pattern;
      }
    } else {
      fail("pre_tokenizer", "type '" + type + "' is not supported");
    }
  }
  if (!byte_level) fail("pre_tokenizer", "no ByteLevel step: only byte-level BPE tokenizer.json is supported");
  if (v.pretokenizer_regex.empty()) fail("pre_tokenizer", "no regex split");

  std::unordered_map<std::string_view, int32_t> by_text;
  for (size_t id = 0; id < v.tokens.size(); ++id) by_text.emplace(v.tokens[id], static_cast<int32_t>(id));
  auto id_of = [&](const std::string& text) -> int32_t {
    auto it = by_text.find(text);
    return it == by_text.end() ? -1 : it->second;
  };

  // BOS from the post-processor template ("<|begin_of_text|> $A").
  std::vector<const json*> posts;
  if (doc.contains("post_processor")) flatten(doc["post_processor"], "processors", posts);
  for (const json* p : posts) {
    if (p->value("type", "") != "TemplateProcessing" || !p->contains("single") || !(*p)["single"].is_array()) continue;
    const json& single = (*p)["single"];
    if (!single.empty() && single[0].contains("SpecialToken")) {
      std::string bos = single[0]["SpecialToken"].value("id", "");
      v.bos = id_of(bos);
      v.add_bos = v.bos >= 0;
    }
  }
  if (model.contains("unk_token") && model["unk_token"].is_string()) v.unk = id_of(model["unk_token"].get<std::string>());
  for (const char* eos : {"<|end_of_text|>", "<|endoftext|>", "</s>"})
    if (v.eos < 0) v.eos = id_of(eos);
  for (const char* eot : {"<|eot_id|>", "<|im_end|>", "<end_of_turn>"})
    if (v.eot < 0) v.eot = id_of(eot);

  if (!config_text.empty()) {
    const std::string cname = name + " (tokenizer_config)";
    const json cfg = parse_json(config_text, cname);
    if (!cfg.is_object()) throw Error(cname + ": not a JSON object");
    auto resolve = [&](const char* key, int32_t& slot) {
      if (auto t = token_string(cfg, key)) {
        int32_t id = id_of(*t);
        if (id < 0) throw Error(cname + ": " + key + ": token '" + *t + "' is not in the vocab");
        slot = id;
      }
    };
    resolve("bos_token", v.bos);
    resolve("eos_token", v.eos);
    resolve("pad_token", v.pad);
    resolve("unk_token", v.unk);
    if (cfg.contains("add_bos_token") && cfg["add_bos_token"].is_boolean()) v.add_bos = cfg["add_bos_token"].get<bool>();
  }
  return v;
}

}  // namespace

Vocab vocab_from_hf_json_text(std::string_view json_text, std::string_view config_text, const std::string& name) {
  try {
    return vocab_from_json_docs(json_text, config_text, name);
  } catch (const json::exception& e) {
    // A field of the wrong JSON type somewhere the checks above do not look.
    throw Error(name + ": unexpected JSON structure: " + e.what());
  }
}

Vocab vocab_from_hf_json(const std::string& tokenizer_json_path, const std::string& tokenizer_config_path) {
  std::string text = read_file(tokenizer_json_path);
  std::string config = tokenizer_config_path.empty() ? std::string() : read_file(tokenizer_config_path);
  return vocab_from_hf_json_text(text, config, tokenizer_json_path);
}

}  // namespace tern::tok
