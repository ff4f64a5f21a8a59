// Typed access to JSON documents (config.json, tokenizer.json, safetensors headers) that
// turns every missing or wrong-typed field into a tern::Error naming the file and the JSON
// path, e.g. "config.json: /quantization_config/linear_class: expected a string, got number".
// In runtime, the lowest module, so the converter (src/hf) and the tokenizer read JSON alike.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tern {

using Json = nlohmann::json;

// Parses `text`; throws tern::Error "<file>: invalid JSON: ..." on a syntax error.
Json parse_json(std::string_view text, const std::string& file);
// parse_json, and the document must be an object ("<file>: /: expected an object, got ...").
Json parse_json_object(std::string_view text, const std::string& file);
// Reads and parses a whole file; throws naming the file if it is missing or unreadable.
Json read_json_file(const std::string& path, const std::string& display_name);

// A position in a document: the file's display name and a JSON pointer-like path.
struct JsonAt {
  const Json& value;
  std::string file;
  std::string path;  // "" for the root, "/a/b/0" below it

  JsonAt child(std::string_view key) const;  // requires an object with `key`
  std::optional<JsonAt> find(std::string_view key) const;  // nullopt if absent or null
  JsonAt at(size_t index) const;                             // requires an array element

  bool is_null() const { return value.is_null(); }
  void require_object() const;
  void require_array() const;

  int64_t as_int(int64_t min, int64_t max) const;
  double as_number() const;
  bool as_bool() const;
  const std::string& as_string() const;

  [[noreturn]] void fail(const std::string& what) const;
};

JsonAt json_root(const Json& root, const std::string& file);
const char* json_type_name(const Json& v);

}  // namespace tern
