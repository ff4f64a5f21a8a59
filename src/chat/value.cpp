// Value: construction, Python truthiness / str / repr / == / <, and JSON in and out.
#include "chat/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "chat/unicode.h"

namespace tern::chat {

// Values can be nested (and a namespace can hold itself); recursion over them is bounded.
static constexpr int k_max_value_depth = 256;
static void check_depth(int depth, Pos pos = {}) {
  if (depth > k_max_value_depth) fail(pos, "value nested more than 256 levels deep (or circular)");
}

Value Value::undefined(std::string name) {
  Value v;
  v.s_ = std::move(name);
  return v;
}
Value Value::none() {
  Value v;
  v.kind_ = Kind::None;
  return v;
}
Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.b_ = b;
  return v;
}
Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = Kind::Int;
  v.i_ = i;
  return v;
}
Value Value::number(double f) {
  Value v;
  v.kind_ = Kind::Float;
  v.f_ = f;
  return v;
}
Value Value::string(std::string s, Provenance marks) {
  Value v;
  v.kind_ = Kind::String;
  v.s_ = std::move(s);
  v.marks_ = std::move(marks);
  return v;
}
Value Value::list(std::vector<Value> items, bool tuple) {
  Value v;
  v.kind_ = Kind::List;
  int depth = 1;
  for (const Value& x : items) depth = std::max(depth, x.nesting() + 1);
  check_depth(depth);
  v.list_ = std::make_shared<const ListData>(ListData{std::move(items), tuple, depth});
  return v;
}
Value Value::dict(std::vector<std::pair<Value, Value>> items) {
  Value v;
  v.kind_ = Kind::Dict;
  int depth = 1;
  for (const auto& kv : items) depth = std::max({depth, kv.first.nesting() + 1, kv.second.nesting() + 1});
  check_depth(depth);
  v.dict_ = std::make_shared<const DictData>(DictData{std::move(items), depth});
  return v;
}
Value Value::make_namespace() {
  Value v;
  v.kind_ = Kind::Namespace;
  v.ns_ = std::make_shared<NamespaceData>();
  return v;
}
Value Value::callable(std::string name, NativeFn fn) {
  Value v;
  v.kind_ = Kind::Callable;
  v.fn_ = std::make_shared<const CallableData>(CallableData{std::move(name), std::move(fn)});
  return v;
}

int Value::nesting() const {
  if (kind_ == Kind::List) return list_->depth;
  if (kind_ == Kind::Dict) return dict_->depth;
  return 0;
}
bool Value::is_tuple() const { return kind_ == Kind::List && list_->tuple; }
double Value::as_double() const {
  if (kind_ == Kind::Float) return f_;
  return static_cast<double>(as_int());
}
const std::vector<Value>& Value::items() const { return list_->items; }
const std::vector<std::pair<Value, Value>>& Value::entries() const { return dict_->items; }
bool Value::same_object(const Value& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::List: return list_ == o.list_;
    case Kind::Dict: return dict_ == o.dict_;
    case Kind::Namespace: return ns_ == o.ns_;
    case Kind::Callable: return fn_ == o.fn_;
    default: return equals(*this, o);
  }
}

const Value* Value::find(const Value& key) const {
  for (const auto& [k, v] : dict_->items)
    if (equals(k, key)) return &v;
  return nullptr;
}
const Value* Value::find(const std::string& key) const {
  for (const auto& [k, v] : dict_->items)
    if (k.is_string() && k.str() == key) return &v;
  return nullptr;
}

Value* NamespaceData::find(const std::string& name) {
  for (auto& [k, v] : attrs)
    if (k == name) return &v;
  return nullptr;
}
void NamespaceData::set(const std::string& name, Value v) {
  if (Value* slot = find(name)) *slot = std::move(v);
  else attrs.emplace_back(name, std::move(v));
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::None: return false;
    case Value::Kind::Bool: return v.as_bool();
    case Value::Kind::Int: return v.as_int() != 0;
    case Value::Kind::Float: return v.as_double() != 0.0;
    case Value::Kind::String: return !v.str().empty();
    case Value::Kind::List: return !v.items().empty();
    case Value::Kind::Dict: return !v.entries().empty();
    default: return true;
  }
}

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  // Shortest round-trip digits, then Python's layout: fixed for 1e-4 <= |d| < 1e16.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  std::size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  std::string out = sign;
  if (exp >= -5 + 1 && exp < 16) {
    if (exp >= 0) {
      std::string ip = digits.substr(0, std::min<std::size_t>(digits.size(), exp + 1));
      while (ip.size() < static_cast<std::size_t>(exp + 1)) ip += '0';
      std::string fp = digits.size() > static_cast<std::size_t>(exp + 1) ? digits.substr(exp + 1) : "0";
      out += ip + "." + fp;
    } else {
      out += "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    }
  } else {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += eb;
  }
  return out;
}

static std::string string_repr(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos, has_double = s.find('"') != std::string::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t c : unicode::decode(s)) {
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x7F && c >= 0x20) {
      out += static_cast<char>(c);
    } else if (c >= 0x80 && unicode::is_printable(c) && !(c >= 0xDC80 && c <= 0xDCFF)) {
      unicode::append_utf8(out, c);
    } else {
      char b[16];
      if (c < 0x100) std::snprintf(b, sizeof b, "\\x%02x", static_cast<unsigned>(c));
      else if (c < 0x10000) std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(c));
      else std::snprintf(b, sizeof b, "\\U%08x", static_cast<unsigned>(c));
      out += b;
    }
  }
  out += quote;
  return out;
}

static std::string repr_impl(const Value& v, int depth);

static std::string str_impl(const Value& v, int depth) {
  check_depth(depth);
  switch (v.kind()) {
    case Value::Kind::Undefined: return "";
    case Value::Kind::None: return "None";
    case Value::Kind::Bool: return v.as_bool() ? "True" : "False";
    case Value::Kind::Int: return std::to_string(v.as_int());
    case Value::Kind::Float: return float_repr(v.as_double());
    case Value::Kind::String: return v.str();
    case Value::Kind::List: {
      const auto& items = v.items();
      std::string out = v.is_tuple() ? "(" : "[";
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += repr_impl(items[i], depth + 1);
      }
      if (v.is_tuple() && items.size() == 1) out += ",";
      out += v.is_tuple() ? ")" : "]";
      return out;
    }
    case Value::Kind::Dict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, x] : v.entries()) {
        if (!first) out += ", ";
        first = false;
        out += repr_impl(k, depth + 1) + ": " + repr_impl(x, depth + 1);
      }
      return out + "}";
    }
    case Value::Kind::Namespace: {
      std::string out = "<Namespace {";
      bool first = true;
      for (const auto& [k, x] : v.ns().attrs) {
        if (!first) out += ", ";
        first = false;
        out += string_repr(k) + ": " + repr_impl(x, depth + 1);
      }
      return out + "}>";
    }
    case Value::Kind::Callable: return "<function " + v.fn().name + ">";
  }
  return "";
}

static std::string repr_impl(const Value& v, int depth) {
  if (v.is_string()) return string_repr(v.str());
  if (v.is_undefined()) return "Undefined";
  return str_impl(v, depth);
}

std::string to_str(const Value& v) { return str_impl(v, 0); }
std::string repr(const Value& v) { return repr_impl(v, 0); }

static bool holds_content_impl(const Value& v, int depth) {
  check_depth(depth);
  switch (v.kind()) {
    case Value::Kind::String: return v.marks().any();
    case Value::Kind::List:
      for (const Value& x : v.items())
        if (holds_content_impl(x, depth + 1)) return true;
      return false;
    case Value::Kind::Dict:
      for (const auto& [k, x] : v.entries())
        if (holds_content_impl(k, depth + 1) || holds_content_impl(x, depth + 1)) return true;
      return false;
    case Value::Kind::Namespace:
      if (v.ns().names_from_content) return true;
      for (const auto& [k, x] : v.ns().attrs)
        if (holds_content_impl(x, depth + 1)) return true;
      return false;
    default: return false;
  }
}
bool holds_content(const Value& v) { return holds_content_impl(v, 0); }

static Value as_content_impl(const Value& v, int depth) {
  check_depth(depth);
  switch (v.kind()) {
    case Value::Kind::String: return Value::string(v.str(), Provenance::all(v.str().size()));
    case Value::Kind::List: {
      std::vector<Value> items;
      items.reserve(v.items().size());
      for (const Value& x : v.items()) items.push_back(as_content_impl(x, depth + 1));
      return Value::list(std::move(items), v.is_tuple());
    }
    case Value::Kind::Dict: {
      std::vector<std::pair<Value, Value>> items;
      items.reserve(v.entries().size());
      for (const auto& [k, x] : v.entries()) items.emplace_back(as_content_impl(k, depth + 1), as_content_impl(x, depth + 1));
      return Value::dict(std::move(items));
    }
    default: return v;
  }
}
Value as_content(const Value& v) { return as_content_impl(v, 0); }

static bool equals_impl(const Value& a, const Value& b, int depth) {
  check_depth(depth);
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::Undefined:
    case K::None: return true;
    case K::String: return a.str() == b.str();
    case K::List: {
      if (a.is_tuple() != b.is_tuple() || a.items().size() != b.items().size()) return false;
      for (std::size_t i = 0; i < a.items().size(); ++i)
        if (!equals_impl(a.items()[i], b.items()[i], depth + 1)) return false;
      return true;
    }
    case K::Dict: {
      if (a.entries().size() != b.entries().size()) return false;
      for (const auto& [k, x] : a.entries()) {
        const Value* y = b.find(k);
        if (!y || !equals_impl(x, *y, depth + 1)) return false;
      }
      return true;
    }
    default: return a.same_object(b);
  }
}
bool equals(const Value& a, const Value& b) { return equals_impl(a, b, 0); }

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return "Undefined";
    case Value::Kind::None: return "NoneType";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::String: return "str";
    case Value::Kind::List: return v.is_tuple() ? "tuple" : "list";
    case Value::Kind::Dict: return "dict";
    case Value::Kind::Namespace: return "Namespace";
    case Value::Kind::Callable: return "function";
  }
  return "?";
}

static int compare_impl(const Value& a, const Value& b, Pos pos, int depth) {
  check_depth(depth, pos);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      double x = a.as_double(), y = b.as_double();
      return x < y ? -1 : (x > y ? 1 : 0);  // NaN compares as "equal"; Python says False both ways
    }
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());  // byte order of UTF-8 == code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto &x = a.items(), &y = b.items();
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (equals(x[i], y[i])) continue;
      return compare_impl(x[i], y[i], pos, depth + 1);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  fail(pos, "cannot compare '" + type_name(a) + "' with '" + type_name(b) + "'");
}
int compare(const Value& a, const Value& b, Pos pos) { return compare_impl(a, b, pos, 0); }

template <class Json>
static Value from_json_impl(const Json& j, bool content, int depth) {
  if (depth > k_max_value_depth) throw Error("chat template input: JSON nested more than 256 levels deep");
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::none();
    case nlohmann::json::value_t::boolean: return Value::boolean(j.template get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::integer(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::number(static_cast<double>(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return Value::number(j.template get<double>());
    case nlohmann::json::value_t::string: {
      std::string s = j.template get<std::string>();
      Provenance marks = content ? Provenance::all(s.size()) : Provenance();
      return Value::string(std::move(s), std::move(marks));
    }
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json_impl(e, content, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      std::vector<std::pair<Value, Value>> items;
      items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it)
        items.emplace_back(Value::string(it.key(), content ? Provenance::all(it.key().size()) : Provenance()),
                           from_json_impl(it.value(), content, depth + 1));
      return Value::dict(std::move(items));
    }
    default: throw Error("chat template input: unsupported JSON value (binary or discarded)");
  }
}
Value from_json(const nlohmann::json& j, bool content) { return from_json_impl(j, content, 0); }
Value from_json(const nlohmann::ordered_json& j, bool content) { return from_json_impl(j, content, 0); }

static void json_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out += '"';
  for (char32_t c : unicode::decode(s)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        char b[16];
        if (c < 0x20 || (ensure_ascii && c >= 0x7F && c < 0x10000 && !(c >= 0xDC80 && c <= 0xDCFF))) {
          std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(c));
          out += b;
        } else if (ensure_ascii && c >= 0x10000) {
          unsigned v = static_cast<unsigned>(c) - 0x10000;
          std::snprintf(b, sizeof b, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
          out += b;
        } else {
          unicode::append_utf8(out, c);
        }
      }
    }
  }
  out += '"';
}

static std::string json_key(const Value& k, Pos pos) {
  switch (k.kind()) {
    case Value::Kind::String: return k.str();
    case Value::Kind::None: return "null";
    case Value::Kind::Bool: return k.as_bool() ? "true" : "false";
    case Value::Kind::Int: return std::to_string(k.as_int());
    case Value::Kind::Float: return float_repr(k.as_double());
    default: fail(pos, "tojson: keys must be str, int, float, bool or None, not " + type_name(k));
  }
}

static void json_impl(std::string& out, const Value& v, const JsonOptions& o, Pos pos, int depth) {
  check_depth(depth, pos);
  const std::string& item_sep = !o.item_sep.empty() ? o.item_sep : (o.indent >= 0 ? "," : ", ");
  const std::string& key_sep = !o.key_sep.empty() ? o.key_sep : ": ";
  auto newline = [&](int level) {
    if (o.indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(o.indent) * static_cast<std::size_t>(level), ' ');
  };
  switch (v.kind()) {
    case Value::Kind::None: out += "null"; return;
    case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::Int: out += std::to_string(v.as_int()); return;
    case Value::Kind::Float: {
      double d = v.as_double();
      if (std::isnan(d)) out += "NaN";
      else if (std::isinf(d)) out += d < 0 ? "-Infinity" : "Infinity";
      else out += float_repr(d);
      return;
    }
    case Value::Kind::String: json_string(out, v.str(), o.ensure_ascii); return;
    case Value::Kind::List: {
      if (v.items().empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += item_sep;
        newline(depth + 1);
        json_impl(out, v.items()[i], o, pos, depth + 1);
      }
      newline(depth);
      out += ']';
      return;
    }
    case Value::Kind::Dict: {
      if (v.entries().empty()) {
        out += "{}";
        return;
      }
      std::vector<std::pair<std::string, const Value*>> kv;
      for (const auto& [k, x] : v.entries()) kv.emplace_back(json_key(k, pos), &x);
      if (o.sort_keys)
        std::stable_sort(kv.begin(), kv.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      for (std::size_t i = 0; i < kv.size(); ++i) {
        if (i) out += item_sep;
        newline(depth + 1);
        json_string(out, kv[i].first, o.ensure_ascii);
        out += key_sep;
        json_impl(out, *kv[i].second, o, pos, depth + 1);
      }
      newline(depth);
      out += '}';
      return;
    }
    default: fail(pos, "tojson: object of type '" + type_name(v) + "' is not JSON serializable");
  }
}

std::string to_json(const Value& v, const JsonOptions& opts, Pos pos) {
  std::string out;
  json_impl(out, v, opts, pos, 0);
  return out;
}

}  // namespace tern::chat
