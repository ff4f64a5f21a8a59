#include "gguf/gguf_summary.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gguf/bitnet_names.h"

namespace tern::gguf {

namespace {

std::optional<uint64_t> as_uint(const Value* v) {
  if (v == nullptr) return std::nullopt;
  switch (v->type) {
    case ValueType::U8: case ValueType::U16: case ValueType::U32: case ValueType::U64:
      return v->u;
    case ValueType::I8: case ValueType::I16: case ValueType::I32: case ValueType::I64:
      if (v->i >= 0) return static_cast<uint64_t>(v->i);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

bool is_string(const Value* v) { return v != nullptr && v->type == ValueType::STRING; }
bool is_array_of(const Value* v, ValueType elem) {
  return v != nullptr && v->type == ValueType::ARRAY && v->elem_type == elem;
}

}  // namespace

Summary summarize(const File& f) {
  Summary s;
  const Value* arch = f.find(names::kGeneralArchitecture);
  if (is_string(arch)) s.architecture = std::string(arch->str);
  const std::string prefix = s.architecture.empty() ? std::string() : s.architecture + ".";

  // Tokenizer keys that the summary covers; each is consumed only if its type is right.
  TokenizerSummary& tok = s.tokenizer;
  std::vector<std::string_view> consumed;
  auto take_string = [&](const char* key, std::string& out) {
    const Value* v = f.find(key);
    if (!is_string(v)) return;
    out = std::string(v->str);
    consumed.push_back(key);
  };
  auto take_id = [&](const char* key, std::optional<uint64_t>& out) {
    out = as_uint(f.find(key));
    if (out) consumed.push_back(key);
  };
  take_string(names::kTokModel, tok.model);
  take_string(names::kTokPre, tok.pre);
  if (const Value* v = f.find(names::kTokTokens); is_array_of(v, ValueType::STRING)) {
    tok.vocab_size = v->items.size();
    consumed.push_back(names::kTokTokens);
  }
  if (const Value* v = f.find(names::kTokMerges); is_array_of(v, ValueType::STRING)) {
    tok.merges = v->items.size();
    consumed.push_back(names::kTokMerges);
  }
  take_id(names::kTokBos, tok.bos);
  take_id(names::kTokEos, tok.eos);
  take_id(names::kTokEot, tok.eot);
  tok.present = !tok.model.empty() || tok.vocab_size > 0;
  if (const Value* v = f.find(names::kChatTemplate); is_string(v)) {
    s.has_chat_template = true;
    s.chat_template_length = v->str.size();
    consumed.push_back(names::kChatTemplate);
  }

  for (const KeyValue& kv : f.metadata()) {
    if (!prefix.empty() && kv.key.size() > prefix.size() && kv.key.compare(0, prefix.size(), prefix) == 0) {
      s.hparams.push_back(&kv);
      continue;
    }
    bool summarized = kv.key == names::kGeneralArchitecture && !s.architecture.empty();
    for (std::string_view c : consumed) summarized = summarized || kv.key == c;
    if (!summarized) s.other.push_back(&kv);
  }

  for (const TensorInfo& t : f.tensors()) {
    TypeTotal* total = nullptr;
    for (TypeTotal& bt : s.by_type) {
      if (bt.type == t.type) total = &bt;
    }
    if (total == nullptr) total = &s.by_type.emplace_back(TypeTotal{t.type});
    const uint64_t n = t.n_elements();
    total->tensors += 1;
    total->elements += n;
    total->bytes += t.nbytes;
    s.n_tensors += 1;
    s.total_elements += n;
    s.total_bytes += t.nbytes;  // bounded by the file size, so no overflow
  }
  return s;
}

std::string describe_value(const Value& v, size_t max_string) {
  char buf[64];
  switch (v.type) {
    case ValueType::U8: case ValueType::U16: case ValueType::U32: case ValueType::U64:
      return std::to_string(v.u);
    case ValueType::I8: case ValueType::I16: case ValueType::I32: case ValueType::I64:
      return std::to_string(v.i);
    case ValueType::F32:
    case ValueType::F64: {
      // The shortest "%g" text that reads back to the same value (1e-05, not 9.99999975e-06).
      const bool f32 = v.type == ValueType::F32;
      for (int digits = 6; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v.f);
        const double back = std::strtod(buf, nullptr);
        if (f32 ? static_cast<float>(back) == static_cast<float>(v.f) : back == v.f) break;
      }
      return buf;
    }
    case ValueType::BOOL:
      return v.u != 0 ? "true" : "false";
    case ValueType::STRING:
      if (v.str.size() <= max_string) return std::string(v.str);
      return std::string(v.str.substr(0, max_string)) + "...";
    case ValueType::ARRAY:
      return std::string(value_type_name(v.elem_type)) + "[" + std::to_string(v.items.size()) + "]";
  }
  return "?";
}

std::string shape_string(std::span<const uint64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

}  // namespace tern::gguf
