// Shared helpers for the tokenizer tests: the golden case files, hex, and a GGUF metadata
// image of a Vocab (what the converter writes), so the GGUF loader is tested without a file.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "platform/environment.h"
#include "gguf/bitnet_names.h"
#include "gguf/gguf_file.h"
#include "tern/tokenizer.h"

namespace tern::tok::test {

inline std::string shared_path(const std::string& rel) { return std::string(TERN_SHARED_DIR) + "/" + rel; }

inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

inline std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

inline std::vector<int32_t> ids_of(const nlohmann::json& j) { return j.get<std::vector<int32_t>>(); }

// GGUF metadata of `v` as llama.cpp lays it out. String values view v's strings, so `v`
// must outlive the result.
inline std::vector<gguf::KeyValue> gguf_metadata_of(const Vocab& v, std::string_view pre) {  // pre: a literal
  namespace n = gguf::names;
  using gguf::Value;
  using gguf::ValueType;
  std::vector<gguf::KeyValue> kvs;
  auto str = [](std::string_view s) {
    Value x;
    x.type = ValueType::STRING;
    x.str = s;
    return x;
  };
  auto u32 = [](int32_t id) {
    Value x;
    x.type = ValueType::U32;
    x.u = static_cast<uint64_t>(id);
    return x;
  };
  auto boolean = [](bool b) {
    Value x;
    x.type = ValueType::BOOL;
    x.u = b;
    return x;
  };
  auto array_of = [](ValueType t) {
    Value x;
    x.type = ValueType::ARRAY;
    x.elem_type = t;
    return x;
  };
  kvs.push_back({n::kTokModel, str(v.kind == ModelKind::kByteLevelBpe ? "gpt2" : "llama")});
  if (!pre.empty()) kvs.push_back({n::kTokPre, str(pre)});
  Value tokens = array_of(ValueType::STRING);
  for (const auto& t : v.tokens) tokens.items.push_back(str(t));
  kvs.push_back({n::kTokTokens, std::move(tokens)});
  if (!v.scores.empty()) {
    Value scores = array_of(ValueType::F32);
    for (float s : v.scores) {
      Value x;
      x.type = ValueType::F32;
      x.f = s;
      scores.items.push_back(x);
    }
    kvs.push_back({n::kTokScores, std::move(scores)});
  }
  Value types = array_of(ValueType::I32);
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    Value x;
    x.type = ValueType::I32;
    x.i = v.types.empty() ? 1 : static_cast<int64_t>(v.types[i]);
    types.items.push_back(x);
  }
  kvs.push_back({n::kTokTokenType, std::move(types)});
  if (!v.merges.empty()) {
    Value merges = array_of(ValueType::STRING);
    for (const auto& m : v.merges) merges.items.push_back(str(m));
    kvs.push_back({n::kTokMerges, std::move(merges)});
  }
  if (v.bos >= 0) kvs.push_back({n::kTokBos, u32(v.bos)});
  if (v.eos >= 0) kvs.push_back({n::kTokEos, u32(v.eos)});
  if (v.unk >= 0) kvs.push_back({n::kTokUnk, u32(v.unk)});
  kvs.push_back({n::kTokAddBos, boolean(v.add_bos)});
  kvs.push_back({n::kTokAddSpacePrefix, boolean(v.add_space_prefix)});
  return kvs;
}

}  // namespace tern::tok::test

#include <filesystem>

#include "gguf/gguf_writer.h"

namespace tern::tok::test {

// Writes `v` as the tokenizer metadata of a tensor-less GGUF file (the converter's layout).
inline std::string write_tokenizer_gguf(const Vocab& v, const std::string& file_name, const std::string& pre) {
  namespace n = gguf::names;
  std::string path = (std::filesystem::temp_directory_path() /
                      ("tern_tok_" + std::to_string(tern::process_id()) + "_" + file_name)).string();
  gguf::Writer w(path);
  w.set_string(n::kGeneralArchitecture, "bitnet-b1.58");
  w.set_string(n::kTokModel, v.kind == ModelKind::kByteLevelBpe ? "gpt2" : "llama");
  if (!pre.empty()) w.set_string(n::kTokPre, pre);
  w.set_string_array(n::kTokTokens, v.tokens);
  if (!v.scores.empty()) w.set_f32_array(n::kTokScores, v.scores);
  std::vector<int32_t> types;
  for (TokenType t : v.types) types.push_back(static_cast<int32_t>(t));
  if (!types.empty()) w.set_i32_array(n::kTokTokenType, types);
  if (!v.merges.empty()) w.set_string_array(n::kTokMerges, v.merges);
  if (v.bos >= 0) w.set_u32(n::kTokBos, static_cast<uint32_t>(v.bos));
  if (v.eos >= 0) w.set_u32(n::kTokEos, static_cast<uint32_t>(v.eos));
  if (v.unk >= 0) w.set_u32(n::kTokUnk, static_cast<uint32_t>(v.unk));
  w.set_bool(n::kTokAddBos, v.add_bos);
  w.set_bool(n::kTokAddSpacePrefix, v.add_space_prefix);
  w.finish();
  return path;
}

}  // namespace tern::tok::test
