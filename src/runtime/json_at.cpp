#include "runtime/json_at.h"

#include <fstream>

#include "runtime/read_file.h"
#include "tern/error.h"

namespace tern {

Json parse_json(std::string_view text, const std::string& file) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    throw Error(file + ": invalid JSON: " + e.what());
  }
}

Json parse_json_object(std::string_view text, const std::string& file) {
  Json root = parse_json(text, file);
  json_root(root, file).require_object();
  return root;
}

Json read_json_file(const std::string& path, const std::string& display_name) {
  std::ifstream probe(path);
  if (!probe) throw Error(display_name + ": cannot open (missing file?)");
  return parse_json(read_text_file(path), display_name);
}

const char* json_type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    case Json::value_t::binary: return "binary";
    case Json::value_t::discarded: return "discarded";
  }
  return "?";
}

JsonAt json_root(const Json& root, const std::string& file) { return JsonAt{root, file, ""}; }

void JsonAt::fail(const std::string& what) const {
  throw Error(file + ": " + (path.empty() ? std::string("/") : path) + ": " + what);
}

void JsonAt::require_object() const {
  if (!value.is_object()) fail(std::string("expected an object, got ") + json_type_name(value));
}

void JsonAt::require_array() const {
  if (!value.is_array()) fail(std::string("expected an array, got ") + json_type_name(value));
}

std::optional<JsonAt> JsonAt::find(std::string_view key) const {
  require_object();
  auto it = value.find(key);
  if (it == value.end() || it->is_null()) return std::nullopt;
  return JsonAt{*it, file, path + "/" + std::string(key)};
}

JsonAt JsonAt::child(std::string_view key) const {
  require_object();
  auto it = value.find(key);
  if (it == value.end()) {
    JsonAt{value, file, path + "/" + std::string(key)}.fail("missing");
  }
  return JsonAt{*it, file, path + "/" + std::string(key)};
}

JsonAt JsonAt::at(size_t index) const {
  require_array();
  if (index >= value.size()) {
    JsonAt{value, file, path + "/" + std::to_string(index)}.fail("missing");
  }
  return JsonAt{value[index], file, path + "/" + std::to_string(index)};
}

int64_t JsonAt::as_int(int64_t min, int64_t max) const {
  int64_t v = 0;
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) fail("integer " + std::to_string(u) + " out of range");
    v = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    v = value.get<int64_t>();
  } else {
    fail(std::string("expected an integer, got ") + json_type_name(value));
  }
  if (v < min || v > max) {
    fail("integer " + std::to_string(v) + " out of range [" + std::to_string(min) + ", " +
         std::to_string(max) + "]");
  }
  return v;
}

double JsonAt::as_number() const {
  if (!value.is_number()) fail(std::string("expected a number, got ") + json_type_name(value));
  return value.get<double>();
}

bool JsonAt::as_bool() const {
  if (!value.is_boolean()) fail(std::string("expected a boolean, got ") + json_type_name(value));
  return value.get<bool>();
}

const std::string& JsonAt::as_string() const {
  if (!value.is_string()) fail(std::string("expected a string, got ") + json_type_name(value));
  return value.get_ref<const std::string&>();
}

}  // namespace tern
