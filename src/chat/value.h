// The values a chat template computes with, modelled on the Python objects Jinja handles:
// Undefined, None, bool, int, float, str, list/tuple, dict, namespace and callables.
// Lists and dicts are immutable and shared (HF renders in an immutable sandbox); a
// namespace is the one mutable object ({% set ns.x = ... %}).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/position.h"
#include "chat/provenance.h"

namespace tern::chat {

class Value;
class Evaluator;

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};
using NativeFn = std::function<Value(Evaluator&, CallArgs&, Pos)>;

struct ListData;
struct DictData;
struct NamespaceData;
struct CallableData {
  std::string name;
  NativeFn fn;
};

class Value {
 public:
  enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Callable };

  Value() = default;  // Undefined
  static Value undefined(std::string name = {});
  static Value none();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double f);
  static Value string(std::string s, Provenance marks = {});  // marks: which bytes are content
  static Value list(std::vector<Value> items, bool tuple = false);
  static Value dict(std::vector<std::pair<Value, Value>> items);
  static Value make_namespace();
  static Value callable(std::string name, NativeFn fn);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_tuple() const;
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_namespace() const { return kind_ == Kind::Namespace; }
  bool is_callable() const { return kind_ == Kind::Callable; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return kind_ == Kind::Bool ? (b_ ? 1 : 0) : i_; }  // Int or Bool
  double as_double() const;  // any number
  const std::string& str() const { return s_; }  // String (or an Undefined's name)
  const Provenance& marks() const { return marks_; }  // String: its content bytes
  const std::vector<Value>& items() const;       // List
  const std::vector<std::pair<Value, Value>>& entries() const;  // Dict
  NamespaceData& ns() const { return *ns_; }
  const CallableData& fn() const { return *fn_; }
  bool same_object(const Value& o) const;
  int nesting() const;  // list/dict depth, 0 for anything else

  // dict lookup by key (Python ==); nullptr when absent.
  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;

 private:
  Kind kind_ = Kind::Undefined;
  bool b_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  Provenance marks_;
  std::shared_ptr<const ListData> list_;
  std::shared_ptr<const DictData> dict_;
  std::shared_ptr<NamespaceData> ns_;
  std::shared_ptr<const CallableData> fn_;
};

// depth: 1 + the deepest list/dict inside. Construction refuses more than 256 levels, so
// destroying or printing a value never recurses without bound.
struct ListData {
  std::vector<Value> items;
  bool tuple = false;
  int depth = 1;
};
struct DictData {
  std::vector<std::pair<Value, Value>> items;
  int depth = 1;
};
struct NamespaceData {
  std::vector<std::pair<std::string, Value>> attrs;
  bool names_from_content = false;  // namespace(d) with keys from the messages: repr shows them
  Value* find(const std::string& name);
  void set(const std::string& name, Value v);
};

// Python truthiness (Undefined is false).
bool truthy(const Value& v);
// str(v) as Jinja prints it ({{ v }}): None -> "None", True -> "True", 1.0 -> "1.0",
// lists and dicts as Python's repr. Undefined -> "".
std::string to_str(const Value& v);
// repr(v): strings quoted and escaped the way Python does.
std::string repr(const Value& v);
std::string float_repr(double d);
// Whether any string in v (deeply: list items, dict keys and values, namespace attributes)
// holds a content byte (provenance.h).
bool holds_content(const Value& v);
// v with every string in it (deeply, except inside namespaces, which are shared and
// mutable) marked content as a whole: the result of computing something new from content.
Value as_content(const Value& v);

// Python ==.
bool equals(const Value& a, const Value& b);
// Python <: -1, 0, 1; throws (naming pos) for types Python cannot order.
int compare(const Value& a, const Value& b, Pos pos);
// Python's type name, for error messages.
std::string type_name(const Value& v);

// JSON in: objects keep the order the json type iterates in (sorted for nlohmann::json,
// insertion order for nlohmann::ordered_json). With `content`, every string (keys too) is
// marked content: data a client supplied.
Value from_json(const nlohmann::json& j, bool content = false);
Value from_json(const nlohmann::ordered_json& j, bool content = false);

struct JsonOptions {
  int indent = -1;  // < 0: one line
  bool ensure_ascii = false;
  bool sort_keys = false;
  std::string item_sep, key_sep;  // empty: Python's defaults for the indent mode
};
// Python json.dumps(v, ...), as transformers' `tojson` filter calls it.
std::string to_json(const Value& v, const JsonOptions& opts, Pos pos);

}  // namespace tern::chat
