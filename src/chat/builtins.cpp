// Filters, tests, methods and globals (see builtins.h). Each follows the Python function
// it stands for: jinja2/filters.py, jinja2/tests.py, str / dict methods, and the globals
// transformers adds to its chat-template environment.
#include "chat/builtins.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>

#include "chat/evaluator.h"
#include "chat/unicode.h"

namespace tern::chat {

namespace {

// Binds a call's positional and keyword arguments to a Python-style parameter list.
class Args {
 public:
  Args(CallArgs& a, Pos pos, std::string fname, std::vector<std::string> names)
      : a_(a), pos_(pos), fname_(std::move(fname)), names_(std::move(names)) {
    if (a_.positional.size() > names_.size())
      fail(pos_, fname_ + "() takes at most " + std::to_string(names_.size()) + " arguments");
    for (const auto& [k, v] : a_.keyword)
      if (std::find(names_.begin(), names_.end(), k) == names_.end())
        fail(pos_, fname_ + "() got an unexpected keyword argument '" + k + "'");
  }
  const Value* get(std::size_t i) const {
    if (i < a_.positional.size()) return &a_.positional[i];
    for (const auto& [k, v] : a_.keyword)
      if (k == names_[i]) return &v;
    return nullptr;
  }
  Value value(std::size_t i, Value dflt) const {
    const Value* v = get(i);
    return v ? *v : dflt;
  }
  bool flag(std::size_t i, bool dflt) const {
    const Value* v = get(i);
    return v ? truthy(*v) : dflt;
  }
  int64_t integer(std::size_t i, int64_t dflt) const {
    const Value* v = get(i);
    if (!v || v->is_none()) return dflt;
    if (!v->is_int() && !v->is_bool()) fail(pos_, fname_ + "(): '" + names_[i] + "' must be an integer");
    return v->as_int();
  }
  std::string string(std::size_t i, const std::string& dflt) const {
    const Value* v = get(i);
    if (!v) return dflt;
    if (!v->is_string()) fail(pos_, fname_ + "(): '" + names_[i] + "' must be a string, not " + type_name(*v));
    return v->str();
  }
  Pos pos() const { return pos_; }

 private:
  CallArgs& a_;
  Pos pos_;
  std::string fname_;
  std::vector<std::string> names_;
};

std::string soft_str(const Value& v) { return v.is_string() ? v.str() : to_str(v); }

const std::string& need_str(const Value& v, const char* what, Pos pos) {
  if (v.is_undefined()) fail_undefined(v, pos);
  if (!v.is_string()) fail(pos, std::string(what) + " needs a string, not " + type_name(v));
  return v.str();
}

int64_t py_len(const Value& v, Pos pos) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return 0;
    case Value::Kind::String: return static_cast<int64_t>(unicode::length(v.str()));
    case Value::Kind::List: return static_cast<int64_t>(v.items().size());
    case Value::Kind::Dict: return static_cast<int64_t>(v.entries().size());
    default: fail(pos, "object of type '" + type_name(v) + "' has no len()");
  }
}

// Python str.replace(old, new, count).
std::string py_replace(const std::string& s, const std::string& old, const std::string& repl, int64_t count,
                       Evaluator& ev, Pos pos) {
  std::string out;
  if (old.empty()) {  // inserts `repl` before every character and at the end
    std::u32string cps = unicode::decode(s);
    int64_t done = 0;
    for (char32_t c : cps) {
      if (count < 0 || done < count) {
        out += repl;
        ++done;
      }
      unicode::append_utf8(out, c);
      ev.charge(out.size(), pos);
    }
    if (count < 0 || done < count) out += repl;
    return out;
  }
  std::size_t i = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    std::size_t j = s.find(old, i);
    if (j == std::string::npos) break;
    out.append(s, i, j - i);
    out += repl;
    ev.charge(out.size(), pos);
    i = j + old.size();
    ++done;
  }
  out.append(s, i, std::string::npos);
  return out;
}

// Python str.split(sep=None, maxsplit=-1) and rsplit.
std::vector<Value> py_split(const std::string& s, const Value* sep, int64_t maxsplit, bool from_right, Pos pos) {
  std::vector<std::string> parts;
  if (!sep || sep->is_none()) {
    std::u32string cps = unicode::decode(s);
    std::vector<std::pair<std::size_t, std::size_t>> words;
    std::size_t i = 0;
    while (i < cps.size()) {
      while (i < cps.size() && unicode::is_space(cps[i])) ++i;
      if (i >= cps.size()) break;
      std::size_t j = i;
      while (j < cps.size() && !unicode::is_space(cps[j])) ++j;
      words.emplace_back(i, j);
      i = j;
    }
    auto text = [&](std::size_t a, std::size_t b) { return unicode::encode(std::u32string_view(cps).substr(a, b - a)); };
    if (maxsplit < 0 || static_cast<std::size_t>(maxsplit) >= words.size()) {
      for (auto [a, b] : words) parts.push_back(text(a, b));
    } else if (!from_right) {
      for (std::size_t k = 0; k < static_cast<std::size_t>(maxsplit); ++k) parts.push_back(text(words[k].first, words[k].second));
      std::size_t rest = words[static_cast<std::size_t>(maxsplit)].first, end = cps.size();
      while (end > rest && unicode::is_space(cps[end - 1])) --end;
      parts.push_back(text(rest, end));
    } else {
      std::size_t keep = words.size() - static_cast<std::size_t>(maxsplit);
      std::size_t begin = 0, end = words[keep - 1].second;
      while (begin < end && unicode::is_space(cps[begin])) ++begin;
      parts.push_back(text(begin, end));
      for (std::size_t k = keep; k < words.size(); ++k) parts.push_back(text(words[k].first, words[k].second));
    }
  } else {
    const std::string& d = need_str(*sep, "split()", pos);
    if (d.empty()) fail(pos, "split(): empty separator");
    std::vector<std::size_t> cuts;
    for (std::size_t j = s.find(d); j != std::string::npos; j = s.find(d, j + d.size())) cuts.push_back(j);
    if (maxsplit >= 0 && cuts.size() > static_cast<std::size_t>(maxsplit)) {
      if (from_right) {
        // rsplit scans from the right: recompute the rightmost non-overlapping matches.
        cuts.clear();
        std::size_t end = s.size();
        while (cuts.size() < static_cast<std::size_t>(maxsplit) && end >= d.size()) {
          std::size_t j = s.rfind(d, end - d.size());
          if (j == std::string::npos) break;
          cuts.insert(cuts.begin(), j);
          end = j;
        }
      } else {
        cuts.resize(static_cast<std::size_t>(maxsplit));
      }
    }
    std::size_t i = 0;
    for (std::size_t j : cuts) {
      parts.push_back(s.substr(i, j - i));
      i = j + d.size();
    }
    parts.push_back(s.substr(i));
  }
  std::vector<Value> out;
  for (auto& p : parts) out.push_back(Value::string(std::move(p)));
  return out;
}

// Python str.splitlines() (keepends=False).
std::vector<std::string> py_splitlines(const std::string& s) {
  std::u32string cps = unicode::decode(s);
  std::vector<std::string> lines;
  std::size_t start = 0, i = 0;
  auto is_break = [](char32_t c) {
    return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85 ||
           c == 0x2028 || c == 0x2029;
  };
  while (i < cps.size()) {
    if (is_break(cps[i])) {
      lines.push_back(unicode::encode(std::u32string_view(cps).substr(start, i - start)));
      if (cps[i] == '\r' && i + 1 < cps.size() && cps[i + 1] == '\n') ++i;
      start = ++i;
    } else {
      ++i;
    }
  }
  if (start < cps.size()) lines.push_back(unicode::encode(std::u32string_view(cps).substr(start)));
  return lines;
}

bool starts_or_ends(const std::string& s, const Value& what, bool start, Pos pos) {
  auto one = [&](const Value& p) {
    const std::string& x = need_str(p, start ? "startswith()" : "endswith()", pos);
    if (x.size() > s.size()) return false;
    return start ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (what.is_list() && what.is_tuple()) {
    for (const Value& p : what.items())
      if (one(p)) return true;
    return false;
  }
  return one(what);
}

// Python int(str, base) for the int filter: optional sign, underscores between digits.
bool parse_int(std::string s, int base, int64_t* out) {
  s = unicode::strip(s, nullptr, true, true);
  bool neg = false;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  // int('0x1A', 16) and int('0x1A', 0) accept the base's prefix, as Python does.
  auto prefixed = [&](char p) {
    return i + 1 < s.size() && s[i] == '0' && (s[i + 1] == p || s[i + 1] == p - 32);
  };
  if ((base == 16 || base == 0) && prefixed('x')) base = 16, i += 2;
  else if ((base == 8 || base == 0) && prefixed('o')) base = 8, i += 2;
  else if ((base == 2 || base == 0) && prefixed('b')) base = 2, i += 2;
  else if (base == 0) base = 10;
  std::string digits;
  for (; i < s.size(); ++i) {
    if (s[i] == '_' && !digits.empty() && i + 1 < s.size() && s[i + 1] != '_') continue;
    digits += s[i];
  }
  if (digits.empty()) return false;
  uint64_t v = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return false;
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  *out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

bool parse_float(std::string s, double* out) {
  s = unicode::strip(s, nullptr, true, true);
  if (s.empty()) return false;
  std::string lower = unicode::lower(s);
  std::size_t sign = (lower[0] == '+' || lower[0] == '-') ? 1 : 0;
  std::string body = lower.substr(sign);
  if (body == "inf" || body == "infinity" || body == "nan") {
    double v = body == "nan" ? std::nan("") : std::numeric_limits<double>::infinity();
    *out = lower[0] == '-' ? -v : v;
    return true;
  }
  std::string clean;
  for (char c : s.substr(sign))
    if (c != '_') clean += c;
  double v = 0;
  auto r = std::from_chars(clean.data(), clean.data() + clean.size(), v);
  if (r.ec != std::errc() || r.ptr != clean.data() + clean.size()) return false;
  *out = (sign && s[0] == '-') ? -v : v;
  return true;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Jinja's attribute lookup for sort/map/selectattr/...: "a.b" or "0" paths.
Value get_path(Evaluator& ev, const Value& item, const std::string& path, Pos pos) {
  Value v = item;
  std::size_t i = 0;
  while (true) {
    std::size_t j = path.find('.', i);
    std::string part = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
    CallArgs none;
    int64_t idx;
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    Value key = numeric && parse_int(part, 10, &idx) ? Value::integer(idx) : Value::string(part);
    if (v.is_undefined()) return v;
    if (v.is_dict()) {
      const Value* found = v.find(key);
      v = found ? *found : Value::undefined(part);
    } else if (v.is_list() && key.is_int()) {
      int64_t n = static_cast<int64_t>(v.items().size());
      int64_t k = key.as_int();
      v = k < n ? v.items()[static_cast<std::size_t>(k)] : Value::undefined(part);
    } else if (v.is_namespace()) {
      Value* found = v.ns().find(part);
      v = found ? *found : Value::undefined(part);
    } else {
      v = Value::undefined(part);
    }
    ev.charge(0, pos);
    if (j == std::string::npos) return v;
    i = j + 1;
  }
}

// Sort key comparison used by sort / dictsort / min / max / unique (case-insensitive by
// default, as Jinja lower()s strings).
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(unicode::lower(v.str()));
  return v;
}

Value min_max(Evaluator& ev, const Value& seq, Args& a, bool want_max, Pos pos) {
  bool cs = a.flag(0, false);
  Value attr = a.value(1, Value::none());
  std::vector<Value> items = ev.iterate(seq, pos);
  if (items.empty()) return Value::undefined(want_max ? "max" : "min");
  std::size_t best = 0;
  auto key = [&](const Value& x) {
    return sort_key(attr.is_none() ? x : get_path(ev, x, soft_str(attr), pos), cs);
  };
  Value bk = key(items[0]);
  for (std::size_t i = 1; i < items.size(); ++i) {
    Value k = key(items[i]);
    int c = compare(k, bk, pos);
    if (want_max ? c > 0 : c < 0) {
      best = i;
      bk = k;
    }
  }
  return items[best];
}

std::vector<std::string> k_filters = {
    "abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "indent", "int",
    "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace",
    "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "unique",
    "upper"};
std::vector<std::string> k_tests = {"defined", "undefined", "none", "boolean", "false", "true", "integer", "float",
                                    "number", "string", "mapping", "iterable", "sequence", "callable", "sameas",
                                    "odd", "even", "divisibleby", "lower", "upper", "eq", "equalto", "ne", "lt",
                                    "lessthan", "le", "gt", "greaterthan", "ge", "in"};

}  // namespace

bool is_known_filter(std::string_view name) {
  return std::find(k_filters.begin(), k_filters.end(), name) != k_filters.end();
}
bool is_known_test(std::string_view name) { return std::find(k_tests.begin(), k_tests.end(), name) != k_tests.end(); }

bool apply_test(Evaluator& ev, const std::string& name, const Value& v, CallArgs& args, Pos pos) {
  using K = Value::Kind;
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
  if (name == "sequence") return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
  if (name == "callable") return v.is_callable();
  if (name == "lower" || name == "upper") {
    // str.islower(): has cased characters and none of the other case.
    std::string s = soft_str(v);
    std::string other = name == "lower" ? unicode::upper(s) : unicode::lower(s);
    std::string same = name == "lower" ? unicode::lower(s) : unicode::upper(s);
    bool has_cased = false;
    for (char32_t c : unicode::decode(s)) has_cased = has_cased || unicode::is_cased(c);
    return has_cased && same == s && other != s;
  }
  Args a(args, pos, name, {"other"});
  const Value* other = a.get(0);
  if (name == "odd" || name == "even") {
    if (!v.is_int() && !v.is_bool()) fail(pos, "test '" + name + "' needs an integer, not " + type_name(v));
    bool odd = (v.as_int() % 2) != 0;
    return name == "odd" ? odd : !odd;
  }
  if (!other) fail(pos, "test '" + name + "' needs an argument");
  if (name == "sameas") return v.same_object(*other) && v.kind() == other->kind();
  if (name == "divisibleby") {
    if (!v.is_number() || !other->is_number()) fail(pos, "divisibleby needs numbers");
    if (other->as_double() == 0) fail(pos, "divisibleby: division by zero");
    if (!v.is_float() && !other->is_float()) return v.as_int() % other->as_int() == 0;
    return std::fmod(v.as_double(), other->as_double()) == 0;
  }
  if (name == "eq" || name == "equalto") return equals(v, *other);
  if (name == "ne") return !equals(v, *other);
  if (name == "in") {
    if (other->is_string()) return v.is_string() && other->str().find(v.str()) != std::string::npos;
    if (other->kind() == K::List) {
      for (const Value& x : other->items())
        if (equals(x, v)) return true;
      return false;
    }
    if (other->kind() == K::Dict) return other->find(v) != nullptr;
    fail(pos, "argument of type '" + type_name(*other) + "' is not iterable");
  }
  if (v.is_undefined()) fail_undefined(v, pos);
  int c = compare(v, *other, pos);
  if (name == "lt" || name == "lessthan") return c < 0;
  if (name == "le") return c <= 0;
  if (name == "gt" || name == "greaterthan") return c > 0;
  if (name == "ge") return c >= 0;
  (void)ev;
  fail(pos, "unsupported test '" + name + "'");
}

Value apply_filter(Evaluator& ev, const std::string& name, const Value& v, CallArgs& args, Pos pos) {
  auto str_result = [&](std::string s) {
    ev.charge(s.size(), pos);
    return Value::string(std::move(s));
  };
  if (name == "trim") {
    Args a(args, pos, name, {"chars"});
    const Value* chars = a.get(0);
    std::string set = chars && !chars->is_none() ? need_str(*chars, "trim", pos) : std::string();
    return str_result(unicode::strip(soft_str(v), chars && !chars->is_none() ? &set : nullptr, true, true));
  }
  if (name == "capitalize" || name == "upper" || name == "lower" || name == "title") {
    Args a(args, pos, name, {});
    std::string s = soft_str(v);
    if (name == "capitalize") return str_result(unicode::capitalize(s));
    if (name == "upper") return str_result(unicode::upper(s));
    if (name == "lower") return str_result(unicode::lower(s));
    return str_result(unicode::jinja_title(s));
  }
  if (name == "length" || name == "count") {
    Args a(args, pos, name, {});
    return Value::integer(py_len(v, pos));
  }
  if (name == "default" || name == "d") {
    Args a(args, pos, name, {"default_value", "boolean"});
    if (v.is_undefined() || (a.flag(1, false) && !truthy(v))) return a.value(0, Value::string(""));
    return v;
  }
  if (name == "tojson") {
    // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
    Args a(args, pos, name, {"ensure_ascii", "indent", "separators", "sort_keys"});
    JsonOptions o;
    o.ensure_ascii = a.flag(0, false);
    // indent=None: one line; any integer (even negative, as in Python) breaks lines.
    const Value* ind = a.get(1);
    o.indent = (ind && !ind->is_none()) ? static_cast<int>(std::clamp<int64_t>(a.integer(1, 0), 0, 64)) : -1;
    o.sort_keys = a.flag(3, false);
    if (const Value* sep = a.get(2); sep && !sep->is_none()) {
      if (!sep->is_list() || sep->items().size() != 2 || !sep->items()[0].is_string() || !sep->items()[1].is_string())
        fail(pos, "tojson(): separators must be a pair of strings");
      o.item_sep = sep->items()[0].str();
      o.key_sep = sep->items()[1].str();
      if (o.item_sep.empty() || o.key_sep.empty()) fail(pos, "tojson(): empty separators are unsupported");
    }
    return str_result(to_json(v, o, pos));
  }
  if (name == "string") {
    Args a(args, pos, name, {});
    return str_result(soft_str(v));
  }
  if (name == "safe") {
    Args a(args, pos, name, {});
    return v;
  }
  if (name == "escape" || name == "e") {
    Args a(args, pos, name, {});
    return str_result(html_escape(soft_str(v)));
  }
  if (name == "int") {
    Args a(args, pos, name, {"default", "base"});
    Value dflt = a.value(0, Value::integer(0));
    int64_t base = a.integer(1, 10);
    if (v.is_int()) return v;
    if (v.is_bool()) return Value::integer(v.as_int());
    if (v.is_float()) {
      double d = v.as_double();
      if (std::isnan(d) || std::isinf(d) || std::fabs(d) >= 9.2e18) return dflt;
      return Value::integer(static_cast<int64_t>(d));
    }
    if (v.is_string()) {
      int64_t i;
      if ((base == 0 || (base >= 2 && base <= 36)) && parse_int(v.str(), static_cast<int>(base), &i)) return Value::integer(i);
      double d;
      if (parse_float(v.str(), &d) && !std::isnan(d) && !std::isinf(d) && std::fabs(d) < 9.2e18)
        return Value::integer(static_cast<int64_t>(d));
    }
    return dflt;
  }
  if (name == "float") {
    Args a(args, pos, name, {"default"});
    Value dflt = a.value(0, Value::number(0.0));
    if (v.is_number()) return Value::number(v.as_double());
    double d;
    if (v.is_string() && parse_float(v.str(), &d)) return Value::number(d);
    return dflt;
  }
  if (name == "abs") {
    Args a(args, pos, name, {});
    if (v.is_float()) return Value::number(std::fabs(v.as_double()));
    if (v.is_int() || v.is_bool()) {
      if (v.as_int() == std::numeric_limits<int64_t>::min()) fail(pos, "integer overflow (unsupported)");
      return Value::integer(v.as_int() < 0 ? -v.as_int() : v.as_int());
    }
    fail(pos, "bad operand type for abs(): '" + type_name(v) + "'");
  }
  if (name == "round") {
    Args a(args, pos, name, {"precision", "method"});
    int64_t p = std::clamp<int64_t>(a.integer(0, 0), -300, 300);
    std::string method = a.string(1, "common");
    if (!v.is_number()) fail(pos, "round needs a number, not " + type_name(v));
    double x = v.as_double(), scale = std::pow(10.0, static_cast<double>(p));
    if (method == "common") return Value::number(p == 0 ? std::nearbyint(x) : std::nearbyint(x * scale) / scale);
    if (method == "ceil") return Value::number(std::ceil(x * scale) / scale);
    if (method == "floor") return Value::number(std::floor(x * scale) / scale);
    fail(pos, "round(): method must be 'common', 'ceil' or 'floor'");
  }
  if (name == "first" || name == "last") {
    Args a(args, pos, name, {});
    std::vector<Value> items = ev.iterate(v, pos);
    if (items.empty()) return Value::undefined(name);
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") {
    Args a(args, pos, name, {});
    return Value::list(ev.iterate(v, pos));
  }
  if (name == "items") {
    Args a(args, pos, name, {});
    if (v.is_undefined()) return Value::list({});
    if (!v.is_dict()) fail(pos, "items: can only get item pairs from a mapping, not " + type_name(v));
    std::vector<Value> pairs;
    for (const auto& [k, x] : v.entries()) pairs.push_back(Value::list({k, x}, true));
    return Value::list(std::move(pairs));
  }
  if (name == "join") {
    Args a(args, pos, name, {"d", "attribute"});
    std::string sep = a.string(0, "");
    Value attr = a.value(1, Value::none());
    std::string out;
    bool first = true;
    for (const Value& x : ev.iterate(v, pos)) {
      if (!first) out += sep;
      first = false;
      out += soft_str(attr.is_none() ? x : get_path(ev, x, soft_str(attr), pos));
      ev.charge(out.size(), pos);
    }
    return Value::string(std::move(out));
  }
  if (name == "replace") {
    Args a(args, pos, name, {"old", "new", "count"});
    if (!a.get(0) || !a.get(1)) fail(pos, "replace() needs 'old' and 'new'");
    return str_result(py_replace(soft_str(v), a.string(0, ""), a.string(1, ""), a.integer(2, -1), ev, pos));
  }
  if (name == "indent") {
    Args a(args, pos, name, {"width", "first", "blank"});
    const Value* w = a.get(0);
    std::string ind = w && w->is_string() ? w->str() : std::string(static_cast<std::size_t>(std::clamp<int64_t>(a.integer(0, 4), 0, 1024)), ' ');
    bool first = a.flag(1, false), blank = a.flag(2, false);
    std::vector<std::string> lines = py_splitlines(soft_str(v) + "\n");
    std::string rv;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i == 0) {
        rv = lines[0];
        if (blank) continue;
        continue;
      }
      rv += "\n";
      if (blank || !lines[i].empty()) rv += ind;
      rv += lines[i];
      ev.charge(rv.size(), pos);
    }
    if (first) rv = ind + rv;
    return str_result(std::move(rv));
  }
  if (name == "reverse") {
    Args a(args, pos, name, {});
    if (v.is_string()) {
      std::u32string cps = unicode::decode(v.str());
      std::reverse(cps.begin(), cps.end());
      return Value::string(unicode::encode(cps));
    }
    std::vector<Value> items = ev.iterate(v, pos);
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
  }
  if (name == "sort") {
    Args a(args, pos, name, {"reverse", "case_sensitive", "attribute"});
    bool rev = a.flag(0, false), cs = a.flag(1, false);
    Value attr = a.value(2, Value::none());
    std::vector<Value> items = ev.iterate(v, pos);
    std::vector<std::pair<Value, Value>> keyed;
    for (const Value& x : items)
      keyed.emplace_back(sort_key(attr.is_none() ? x : get_path(ev, x, soft_str(attr), pos), cs), x);
    ev.charge(items.size() * 16, pos);
    std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& l, const auto& r) {
      return rev ? compare(r.first, l.first, pos) < 0 : compare(l.first, r.first, pos) < 0;
    });
    std::vector<Value> out;
    for (auto& kv : keyed) out.push_back(kv.second);
    return Value::list(std::move(out));
  }
  if (name == "dictsort") {
    Args a(args, pos, name, {"case_sensitive", "by", "reverse"});
    bool cs = a.flag(0, false), rev = a.flag(2, false);
    std::string by = a.string(1, "key");
    if (by != "key" && by != "value") fail(pos, "dictsort(): 'by' must be 'key' or 'value'");
    if (!v.is_dict()) fail(pos, "dictsort needs a dict, not " + type_name(v));
    std::vector<std::pair<Value, Value>> entries = v.entries();
    std::stable_sort(entries.begin(), entries.end(), [&](const auto& l, const auto& r) {
      const Value& x = by == "key" ? l.first : l.second;
      const Value& y = by == "key" ? r.first : r.second;
      int c = compare(sort_key(x, cs), sort_key(y, cs), pos);
      return rev ? c > 0 : c < 0;
    });
    std::vector<Value> out;
    for (auto& kv : entries) out.push_back(Value::list({kv.first, kv.second}, true));
    return Value::list(std::move(out));
  }
  if (name == "unique") {
    Args a(args, pos, name, {"case_sensitive", "attribute"});
    bool cs = a.flag(0, false);
    Value attr = a.value(1, Value::none());
    std::vector<Value> out, seen;
    for (const Value& x : ev.iterate(v, pos)) {
      Value k = sort_key(attr.is_none() ? x : get_path(ev, x, soft_str(attr), pos), cs);
      bool dup = false;
      for (const Value& s : seen) dup = dup || equals(s, k);
      ev.charge(seen.size(), pos);
      if (!dup) {
        seen.push_back(k);
        out.push_back(x);
      }
    }
    return Value::list(std::move(out));
  }
  if (name == "min" || name == "max") {
    Args a(args, pos, name, {"case_sensitive", "attribute"});
    return min_max(ev, v, a, name == "max", pos);
  }
  if (name == "sum") {
    Args a(args, pos, name, {"attribute", "start"});
    Value attr = a.value(0, Value::none());
    Value total = a.value(1, Value::integer(0));
    for (const Value& x : ev.iterate(v, pos)) {
      Value item = attr.is_none() ? x : get_path(ev, x, soft_str(attr), pos);
      if (!item.is_number() || !total.is_number()) fail(pos, "sum: unsupported operand types");
      if (!item.is_float() && !total.is_float()) {
        int64_t r;
        if (__builtin_add_overflow(total.as_int(), item.as_int(), &r)) fail(pos, "integer overflow (unsupported)");
        total = Value::integer(r);
      } else {
        total = Value::number(total.as_double() + item.as_double());
      }
    }
    return total;
  }
  if (name == "map") {
    std::vector<Value> items = ev.iterate(v, pos);
    std::vector<Value> out;
    const Value* attr = nullptr;
    Value dflt;
    for (const auto& [k, x] : args.keyword) {
      if (k == "attribute") attr = &x;
      else if (k == "default") dflt = x;
    }
    if (attr) {
      for (const Value& x : items) {
        Value r = get_path(ev, x, soft_str(*attr), pos);
        out.push_back(r.is_undefined() && !dflt.is_undefined() ? dflt : r);
      }
      return Value::list(std::move(out));
    }
    if (args.positional.empty() || !args.positional[0].is_string()) fail(pos, "map needs a filter name or attribute=");
    std::string f = args.positional[0].str();
    if (!is_known_filter(f) || f == "map") fail(pos, "map: unsupported filter '" + f + "'");
    CallArgs rest;
    rest.positional.assign(args.positional.begin() + 1, args.positional.end());
    rest.keyword = args.keyword;
    for (const Value& x : items) {
      CallArgs copy = rest;
      out.push_back(apply_filter(ev, f, x, copy, pos));
    }
    return Value::list(std::move(out));
  }
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
    bool by_attr = name == "selectattr" || name == "rejectattr";
    bool keep_if = name == "select" || name == "selectattr";
    std::size_t at = 0;
    std::string attr;
    if (by_attr) {
      if (args.positional.empty() || !args.positional[0].is_string()) fail(pos, name + " needs an attribute name");
      attr = args.positional[0].str();
      at = 1;
    }
    std::string test;
    if (args.positional.size() > at) {
      if (!args.positional[at].is_string()) fail(pos, name + ": test name must be a string");
      test = args.positional[at].str();
      if (!is_known_test(test)) fail(pos, name + ": unsupported test '" + test + "'");
    }
    CallArgs rest;
    if (args.positional.size() > at + 1) rest.positional.assign(args.positional.begin() + static_cast<long>(at) + 1, args.positional.end());
    std::vector<Value> out;
    for (const Value& x : ev.iterate(v, pos)) {
      Value probe = by_attr ? get_path(ev, x, attr, pos) : x;
      CallArgs copy = rest;
      bool ok = test.empty() ? truthy(probe) : apply_test(ev, test, probe, copy, pos);
      if (ok == keep_if) out.push_back(x);
    }
    return Value::list(std::move(out));
  }
  fail(pos, "unsupported filter '" + name + "'");
}

Value bound_method(const Value& obj, const std::string& name) {
  static const std::vector<std::string> str_methods = {"strip", "lstrip", "rstrip", "split", "rsplit", "startswith",
                                                       "endswith", "upper", "lower", "title", "capitalize",
                                                       "replace", "find", "count", "join", "splitlines", "isdigit",
                                                       "isspace", "isalpha", "isalnum"};
  static const std::vector<std::string> dict_methods = {"get", "items", "keys", "values"};
  const auto& table = obj.is_string() ? str_methods : obj.is_dict() ? dict_methods : std::vector<std::string>{};
  if (std::find(table.begin(), table.end(), name) == table.end()) return Value::undefined(name);
  Value self = obj;
  return Value::callable(name, [self, name](Evaluator& ev, CallArgs& args, Pos pos) -> Value {
    if (self.is_dict()) {
      if (name == "get") {
        Args a(args, pos, name, {"key", "default"});
        if (!a.get(0)) fail(pos, "get() needs a key");
        const Value* found = self.find(*a.get(0));
        return found ? *found : a.value(1, Value::none());
      }
      Args a(args, pos, name, {});
      std::vector<Value> out;
      for (const auto& [k, x] : self.entries()) {
        if (name == "items") out.push_back(Value::list({k, x}, true));
        else out.push_back(name == "keys" ? k : x);
      }
      return Value::list(std::move(out));
    }
    const std::string& s = self.str();
    auto result = [&](std::string r) {
      ev.charge(r.size(), pos);
      return Value::string(std::move(r));
    };
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
      Args a(args, pos, name, {"chars"});
      const Value* chars = a.get(0);
      bool has = chars && !chars->is_none();
      std::string set = has ? need_str(*chars, name.c_str(), pos) : std::string();
      return result(unicode::strip(s, has ? &set : nullptr, name != "rstrip", name != "lstrip"));
    }
    if (name == "split" || name == "rsplit") {
      Args a(args, pos, name, {"sep", "maxsplit"});
      std::vector<Value> parts = py_split(s, a.get(0), a.integer(1, -1), name == "rsplit", pos);
      ev.charge(s.size() + parts.size() * 8, pos);
      return Value::list(std::move(parts));
    }
    if (name == "splitlines") {
      Args a(args, pos, name, {});
      std::vector<Value> out;
      for (auto& l : py_splitlines(s)) out.push_back(Value::string(std::move(l)));
      return Value::list(std::move(out));
    }
    if (name == "startswith" || name == "endswith") {
      Args a(args, pos, name, {"prefix"});
      if (!a.get(0)) fail(pos, name + "() needs an argument");
      return Value::boolean(starts_or_ends(s, *a.get(0), name == "startswith", pos));
    }
    if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
      Args a(args, pos, name, {});
      if (name == "upper") return result(unicode::upper(s));
      if (name == "lower") return result(unicode::lower(s));
      if (name == "title") return result(unicode::title(s));
      return result(unicode::capitalize(s));
    }
    if (name == "replace") {
      Args a(args, pos, name, {"old", "new", "count"});
      if (!a.get(0) || !a.get(1)) fail(pos, "replace() needs 'old' and 'new'");
      return result(py_replace(s, need_str(*a.get(0), "replace()", pos), need_str(*a.get(1), "replace()", pos),
                               a.integer(2, -1), ev, pos));
    }
    if (name == "find" || name == "count") {
      Args a(args, pos, name, {"sub"});
      if (!a.get(0)) fail(pos, name + "() needs an argument");
      const std::string& sub = need_str(*a.get(0), name.c_str(), pos);
      if (name == "find") {
        std::size_t j = s.find(sub);
        return Value::integer(j == std::string::npos ? -1 : static_cast<int64_t>(unicode::length(s.substr(0, j))));
      }
      if (sub.empty()) return Value::integer(static_cast<int64_t>(unicode::length(s)) + 1);
      int64_t n = 0;
      for (std::size_t j = s.find(sub); j != std::string::npos; j = s.find(sub, j + sub.size())) ++n;
      return Value::integer(n);
    }
    if (name == "join") {
      Args a(args, pos, name, {"iterable"});
      if (!a.get(0)) fail(pos, "join() needs an argument");
      std::string out;
      bool first = true;
      for (const Value& x : ev.iterate(*a.get(0), pos)) {
        if (!first) out += s;
        first = false;
        out += need_str(x, "join()", pos);
        ev.charge(out.size(), pos);
      }
      return Value::string(std::move(out));
    }
    // isdigit / isspace / isalpha / isalnum: ASCII-exact; non-ASCII characters are
    // rejected rather than guessed.
    Args a(args, pos, name, {});
    std::u32string cps = unicode::decode(s);
    if (cps.empty()) return Value::boolean(false);
    bool all = true;
    for (char32_t c : cps) {
      if (name == "isspace") {
        all = all && unicode::is_space(c);
        continue;
      }
      if (c >= 0x80) fail(pos, name + "() on non-ASCII text is unsupported");
      bool digit = c >= '0' && c <= '9', alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
      all = all && (name == "isdigit" ? digit : name == "isalpha" ? alpha : (digit || alpha));
    }
    return Value::boolean(all);
  });
}

void add_globals(std::vector<std::pair<std::string, Value>>& vars) {
  vars.emplace_back("range", Value::callable("range", [](Evaluator& ev, CallArgs& args, Pos pos) -> Value {
    if (!args.keyword.empty()) fail(pos, "range() takes no keyword arguments");
    std::vector<int64_t> n;
    for (const Value& v : args.positional) {
      if (!v.is_int() && !v.is_bool()) fail(pos, "range() arguments must be integers, not " + type_name(v));
      n.push_back(v.as_int());
    }
    if (n.empty() || n.size() > 3) fail(pos, "range() takes 1 to 3 arguments");
    int64_t start = n.size() == 1 ? 0 : n[0], stop = n.size() == 1 ? n[0] : n[1], step = n.size() == 3 ? n[2] : 1;
    if (step == 0) fail(pos, "range() step must not be zero");
    // Length without overflow, as Python computes it.
    long double len = step > 0 ? (static_cast<long double>(stop) - start + step - 1) / step
                               : (static_cast<long double>(start) - stop - step - 1) / -step;
    if (len < 0) len = 0;
    if (len > static_cast<long double>(ev.limits().max_range))
      fail(pos, "range() of more than " + std::to_string(ev.limits().max_range) + " items (unsupported, as in jinja2's sandbox)");
    std::vector<Value> out;
    ev.charge(static_cast<std::size_t>(len) * 8, pos);
    for (int64_t i = 0, x = start; i < static_cast<int64_t>(len); ++i, x += step) out.push_back(Value::integer(x));
    return Value::list(std::move(out));
  }));
  vars.emplace_back("namespace", Value::callable("namespace", [](Evaluator& ev, CallArgs& args, Pos pos) -> Value {
    Value ns = Value::make_namespace();
    ev.track_namespace(ns);
    for (const Value& init : args.positional) {
      if (!init.is_dict()) fail(pos, "namespace() positional arguments must be dicts");
      for (const auto& [k, v] : init.entries()) ns.ns().set(soft_str(k), v);
    }
    for (const auto& [k, v] : args.keyword) ns.ns().set(k, v);
    return ns;
  }));
  vars.emplace_back("dict", Value::callable("dict", [](Evaluator&, CallArgs& args, Pos pos) -> Value {
    std::vector<std::pair<Value, Value>> items;
    for (const Value& init : args.positional) {
      if (!init.is_dict()) fail(pos, "dict() positional arguments must be dicts");
      items = init.entries();
    }
    for (const auto& [k, v] : args.keyword) {
      bool replaced = false;
      for (auto& kv : items)
        if (kv.first.is_string() && kv.first.str() == k) {
          kv.second = v;
          replaced = true;
        }
      if (!replaced) items.emplace_back(Value::string(k), v);
    }
    return Value::dict(std::move(items));
  }));
  vars.emplace_back("raise_exception", Value::callable("raise_exception", [](Evaluator&, CallArgs& args, Pos pos) -> Value {
    std::string msg = args.positional.empty() ? std::string() : soft_str(args.positional[0]);
    fail(pos, "the template raised an exception: " + msg);
  }));
  vars.emplace_back("strftime_now", Value::callable("strftime_now", [](Evaluator&, CallArgs& args, Pos pos) -> Value {
    if (args.positional.size() != 1 || !args.positional[0].is_string()) fail(pos, "strftime_now() needs a format string");
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[512];
    std::size_t n = std::strftime(buf, sizeof buf, args.positional[0].str().c_str(), &tm);
    if (n == 0 && !args.positional[0].str().empty()) fail(pos, "strftime_now(): format too long or empty result");
    return Value::string(std::string(buf, n));
  }));
}

}  // namespace tern::chat
