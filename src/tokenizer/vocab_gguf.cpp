// Vocab from GGUF metadata (llama.cpp's tokenizer.ggml.* keys, see gguf/bitnet_names.h).
// The hot load path: 128256 tokens + 280k merges are copied once, nothing quadratic.
#include <unordered_map>

#include "gguf/bitnet_names.h"
#include "gguf/gguf_file.h"
#include "tern/error.h"
#include "tern/tokenizer.h"

namespace tern::tok {

namespace {

namespace n = gguf::names;
using gguf::Value;
using gguf::ValueType;

class Meta {
 public:
  Meta(const std::vector<gguf::KeyValue>& kvs, const std::string& name) : name_(name) {
    for (const auto& kv : kvs) map_.emplace(kv.key, &kv.value);
  }
  const Value* find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second;
  }
  [[noreturn]] void fail(std::string_view key, const std::string& what) const {
    throw Error(name_ + ": " + std::string(key) + ": " + what);
  }
  const Value& array(std::string_view key, ValueType elem, const char* elem_name) const {
    const Value* v = find(key);
    if (!v) fail(key, "missing");
    if (v->type != ValueType::ARRAY || v->elem_type != elem) fail(key, std::string("expected an array of ") + elem_name);
    return *v;
  }
  std::optional<std::string_view> string(std::string_view key) const {
    const Value* v = find(key);
    if (!v) return std::nullopt;
    if (v->type != ValueType::STRING) fail(key, "expected a string");
    return v->str;
  }
  std::optional<int64_t> integer(std::string_view key) const {
    const Value* v = find(key);
    if (!v) return std::nullopt;
    switch (v->type) {
      case ValueType::U8: case ValueType::U16: case ValueType::U32: case ValueType::U64:
        if (v->u > static_cast<uint64_t>(INT32_MAX)) fail(key, "value " + std::to_string(v->u) + " is too large");
        return static_cast<int64_t>(v->u);
      case ValueType::I8: case ValueType::I16: case ValueType::I32: case ValueType::I64:
        return v->i;
      default:
        fail(key, "expected an integer");
    }
  }
  std::optional<bool> boolean(std::string_view key) const {
    const Value* v = find(key);
    if (!v) return std::nullopt;
    if (v->type != ValueType::BOOL) fail(key, "expected a bool");
    return v->u != 0;
  }

 private:
  std::string name_;
  std::unordered_map<std::string_view, const Value*> map_;
};

int32_t special_id(const Meta& meta, const char* key, size_t n_tokens) {
  auto v = meta.integer(key);
  if (!v) return -1;
  // llama.cpp writes -1 / UINT32_MAX-like values for "none"; treat anything outside as absent
  // only when it is negative, and reject a positive id past the vocab.
  if (*v < 0) return -1;
  if (*v >= static_cast<int64_t>(n_tokens))
    meta.fail(key, "token id " + std::to_string(*v) + " is outside the vocab [0, " + std::to_string(n_tokens) + ")");
  return static_cast<int32_t>(*v);
}

}  // namespace

Vocab vocab_from_gguf(const std::vector<gguf::KeyValue>& metadata, const std::string& name) {
  Meta meta(metadata, name);
  Vocab v;
  v.source = name;
  auto model = meta.string(n::kTokModel);
  if (!model) meta.fail(n::kTokModel, "missing (the file has no tokenizer)");
  if (*model == "gpt2") {
    v.kind = ModelKind::kByteLevelBpe;
  } else if (*model == "llama") {
    v.kind = ModelKind::kSentencePiece;
  } else {
    meta.fail(n::kTokModel, "tokenizer model '" + std::string(*model) + "' is not supported (gpt2 or llama)");
  }

  const Value& tokens = meta.array(n::kTokTokens, ValueType::STRING, "strings");
  v.tokens.reserve(tokens.items.size());
  for (const Value& t : tokens.items) v.tokens.emplace_back(t.str);
  const size_t count = v.tokens.size();

  if (meta.find(n::kTokScores)) {
    const Value& scores = meta.array(n::kTokScores, ValueType::F32, "f32");
    if (scores.items.size() != count)
      meta.fail(n::kTokScores, std::to_string(scores.items.size()) + " scores for " + std::to_string(count) + " tokens");
    v.scores.reserve(count);
    for (const Value& s : scores.items) v.scores.push_back(static_cast<float>(s.f));
  }
  if (meta.find(n::kTokTokenType)) {
    const Value& types = meta.array(n::kTokTokenType, ValueType::I32, "i32");
    if (types.items.size() != count)
      meta.fail(n::kTokTokenType, std::to_string(types.items.size()) + " types for " + std::to_string(count) + " tokens");
    v.types.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      int64_t t = types.items[i].i;
      if (t < 0 || t > 6) meta.fail(n::kTokTokenType, "token " + std::to_string(i) + " has unknown type " + std::to_string(t));
      v.types.push_back(static_cast<TokenType>(t));
    }
  }
  if (meta.find(n::kTokMerges)) {
    const Value& merges = meta.array(n::kTokMerges, ValueType::STRING, "strings");
    v.merges.reserve(merges.items.size());
    for (const Value& m : merges.items) v.merges.emplace_back(m.str);
  }

  v.bos = special_id(meta, n::kTokBos, count);
  v.eos = special_id(meta, n::kTokEos, count);
  v.eot = special_id(meta, n::kTokEot, count);
  v.pad = special_id(meta, n::kTokPad, count);
  v.unk = special_id(meta, n::kTokUnk, count);
  const bool spm = v.kind == ModelKind::kSentencePiece;
  v.add_bos = meta.boolean(n::kTokAddBos).value_or(spm);
  v.add_space_prefix = meta.boolean(n::kTokAddSpacePrefix).value_or(spm);

  // llama.cpp leaves EOT unset in many files; the name tells.
  if (v.eot < 0) {
    for (size_t i = 0; i < count && v.eot < 0; ++i)
      if (v.tokens[i] == "<|eot_id|>" || v.tokens[i] == "<|im_end|>" || v.tokens[i] == "<end_of_turn>")
        v.eot = static_cast<int32_t>(i);
  }
  if (v.unk < 0 && spm) {
    for (size_t i = 0; i < v.types.size() && v.unk < 0; ++i)
      if (v.types[i] == TokenType::kUnknown) v.unk = static_cast<int32_t>(i);
  }

  if (!spm) {
    // The pre-tokenizer regex is not stored; tokenizer.ggml.pre names it.
    // The names llama.cpp (src/llama-vocab.cpp) gives these two regexes. Falcon3's
    // tokenizer ("falcon3"), Falcon-E's ("falcon_e", bitnet.cpp's converter) and Falcon-H1's
    // are the Llama 3 regex with ignore_merges there; "smaug-bpe" and "dbrx" are the Llama 3
    // regex with merges always applied (what tern convert writes for a tokenizer.json with
    // the Llama 3 Split and "ignore_merges": false).
    std::string pre(meta.string(n::kTokPre).value_or("llama-bpe"));
    if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3" || pre == "falcon3" || pre == "falcon_e" ||
        pre == "falcon-h1") {
      v.pretokenizer_regex = kLlama3Pattern;
      v.ignore_merges = true;
    } else if (pre == "smaug-bpe" || pre == "dbrx") {
      v.pretokenizer_regex = kLlama3Pattern;
      v.ignore_merges = false;
    } else if (pre == "gpt-2" || pre == "gpt2") {
      v.pretokenizer_regex = kGpt2Pattern;
      v.ignore_merges = false;
    } else {
      meta.fail(n::kTokPre, "pre-tokenizer '" + pre +
                                "' is not supported (llama-bpe, llama3, falcon3, falcon_e, falcon-h1, smaug-bpe, dbrx or gpt-2)");
    }
  }
  return v;
}

Vocab vocab_from_gguf(const gguf::File& file) { return vocab_from_gguf(file.metadata(), file.path()); }

}  // namespace tern::tok
