// Jinja's filters (`x | name(args)`), following jinja2/filters.py (and transformers' tojson):
// one function per filter and one table, k_filters, the only place a filter's name is
// written.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>
#include <string_view>
#include <utility>

#include "chat/builtin_call.h"
#include "chat/builtins.h"
#include "chat/evaluator.h"
#include "chat/py_str.h"
#include "chat/unicode.h"
#include "runtime/parse_double.h"

namespace tern::chat {

namespace {

int64_t py_len(const Value& v, Pos pos) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return 0;
    case Value::Kind::String: return static_cast<int64_t>(unicode::length(v.str()));
    case Value::Kind::List: return static_cast<int64_t>(v.items().size());
    case Value::Kind::Dict: return static_cast<int64_t>(v.entries().size());
    default: fail(pos, "object of type '" + type_name(v) + "' has no len()");
  }
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
  if (!parse_double(clean, &v)) return false;
  *out = (sign && s[0] == '-') ? -v : v;
  return true;
}

std::string html_escape(const std::string& s) {
  // markupsafe's five replacements (Jinja's |escape), in its spelling.
  static constexpr std::pair<char, std::string_view> kEntities[] = {
      {'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&#34;"}, {'\'', "&#39;"}};
  std::string out;
  for (char c : s) {
    const auto* e = std::find_if(std::begin(kEntities), std::end(kEntities), [c](const auto& k) { return k.first == c; });
    if (e != std::end(kEntities)) {
      out += e->second;
    } else {
      out += c;
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

using FilterFn = Value (*)(const BuiltinCall&);

Value trim(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"chars"});
  const Value* chars = a.get(0);
  std::string set = chars && !chars->is_none() ? need_str(*chars, "trim", c.pos) : std::string();
  return strip_value(c, soft_str_value(c.v), chars && !chars->is_none() ? &set : nullptr, true, true);
}

// capitalize / upper / lower / title: no arguments, one string function.
template <std::string (*Fn)(std::string_view)>
Value case_filter(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  return c.str_result(Fn(soft_str(c.v)));
}

Value length(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  return Value::integer(py_len(c.v, c.pos));
}

Value default_value(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"default_value", "boolean"});
  if (c.v.is_undefined() || (a.flag(1, false) && !truthy(c.v))) return a.value(0, Value::string(""));
  return c.v;
}

Value tojson(const BuiltinCall& c) {
  // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
  Args a(c.args, c.pos, c.name, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonOptions o;
  o.ensure_ascii = a.flag(0, false);
  // indent=None: one line; any integer (even negative, as in Python) breaks lines.
  const Value* ind = a.get(1);
  o.indent = (ind && !ind->is_none()) ? static_cast<int>(std::clamp<int64_t>(a.integer(1, 0), 0, 64)) : -1;
  o.sort_keys = a.flag(3, false);
  if (const Value* sep = a.get(2); sep && !sep->is_none()) {
    if (!sep->is_list() || sep->items().size() != 2 || !sep->items()[0].is_string() || !sep->items()[1].is_string())
      fail(c.pos, "tojson(): separators must be a pair of strings");
    o.item_sep = sep->items()[0].str();
    o.key_sep = sep->items()[1].str();
    if (o.item_sep.empty() || o.key_sep.empty()) fail(c.pos, "tojson(): empty separators are unsupported");
  }
  return c.str_result(to_json(c.v, o, c.pos));
}

Value to_string(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  Value s = soft_str_value(c.v);
  c.ev.charge(s.str().size(), c.pos);
  return s;
}

Value safe(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  return c.v;
}

Value escape(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  return c.str_result(html_escape(soft_str(c.v)));
}

Value to_int(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"default", "base"});
  Value dflt = a.value(0, Value::integer(0));
  int64_t base = a.integer(1, 10);
  const Value& v = c.v;
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

Value to_float(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"default"});
  Value dflt = a.value(0, Value::number(0.0));
  if (c.v.is_number()) return Value::number(c.v.as_double());
  double d;
  if (c.v.is_string() && parse_float(c.v.str(), &d)) return Value::number(d);
  return dflt;
}

Value abs_value(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  const Value& v = c.v;
  if (v.is_float()) return Value::number(std::fabs(v.as_double()));
  if (v.is_int() || v.is_bool()) {
    if (v.as_int() == std::numeric_limits<int64_t>::min()) fail(c.pos, "integer overflow (unsupported)");
    return Value::integer(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  fail(c.pos, "bad operand type for abs(): '" + type_name(v) + "'");
}

Value round_number(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"precision", "method"});
  int64_t p = std::clamp<int64_t>(a.integer(0, 0), -300, 300);
  std::string method = a.string(1, "common");
  if (!c.v.is_number()) fail(c.pos, "round needs a number, not " + type_name(c.v));
  double x = c.v.as_double(), scale = std::pow(10.0, static_cast<double>(p));
  if (method == "common") return Value::number(p == 0 ? std::nearbyint(x) : std::nearbyint(x * scale) / scale);
  if (method == "ceil") return Value::number(std::ceil(x * scale) / scale);
  if (method == "floor") return Value::number(std::floor(x * scale) / scale);
  fail(c.pos, "round(): method must be 'common', 'ceil' or 'floor'");
}

// first / last.
template <bool First>
Value end_item(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  std::vector<Value> items = c.ev.iterate(c.v, c.pos);
  if (items.empty()) return Value::undefined(c.name);
  return First ? items.front() : items.back();
}

Value to_list(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  return Value::list(c.ev.iterate(c.v, c.pos));
}

Value dict_items(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  if (c.v.is_undefined()) return Value::list({});
  if (!c.v.is_dict()) fail(c.pos, "items: can only get item pairs from a mapping, not " + type_name(c.v));
  std::vector<Value> pairs;
  for (const auto& [k, x] : c.v.entries()) pairs.push_back(Value::list({k, x}, true));
  return Value::list(std::move(pairs));
}

Value join(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"d", "attribute"});
  a.string(0, "");  // checks that a separator given is a string
  const Value sep = a.value(0, Value::string(""));
  Value attr = a.value(1, Value::none());
  std::vector<Value> items = c.ev.iterate(c.v, c.pos);
  if (!attr.is_none())
    for (Value& x : items) x = get_path(c.ev, x, soft_str(attr), c.pos);
  return join_values(c, sep, items);
}

Value replace(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"old", "new", "count"});
  if (!a.get(0) || !a.get(1)) fail(c.pos, "replace() needs 'old' and 'new'");
  return c.str_result(py_replace(soft_str(c.v), a.string(0, ""), a.string(1, ""), a.integer(2, -1), c.ev, c.pos));
}

Value indent(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"width", "first", "blank"});
  const Value* w = a.get(0);
  std::string ind = w && w->is_string() ? w->str() : std::string(static_cast<std::size_t>(std::clamp<int64_t>(a.integer(0, 4), 0, 1024)), ' ');
  bool first = a.flag(1, false), blank = a.flag(2, false);
  std::vector<std::string> lines = py_splitlines(soft_str(c.v) + "\n");
  std::string rv;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == 0) {
      rv = lines[0];
      continue;
    }
    rv += "\n";
    if (blank || !lines[i].empty()) rv += ind;
    rv += lines[i];
    c.ev.charge(rv.size(), c.pos);
  }
  if (first) rv = ind + rv;
  return c.str_result(std::move(rv));
}

Value reverse(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {});
  if (c.v.is_string()) {  // a new string: content as a whole if any of it was
    std::u32string cps = unicode::decode(c.v.str());
    std::reverse(cps.begin(), cps.end());
    return derived_result(Value::string(unicode::encode(cps)), c.v, c.args);
  }
  std::vector<Value> items = c.ev.iterate(c.v, c.pos);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value sort_items(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"reverse", "case_sensitive", "attribute"});
  bool rev = a.flag(0, false), cs = a.flag(1, false);
  Value attr = a.value(2, Value::none());
  std::vector<Value> items = c.ev.iterate(c.v, c.pos);
  std::vector<std::pair<Value, Value>> keyed;
  for (const Value& x : items)
    keyed.emplace_back(sort_key(attr.is_none() ? x : get_path(c.ev, x, soft_str(attr), c.pos), cs), x);
  c.ev.charge(items.size() * 16, c.pos);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& l, const auto& r) {
    return rev ? compare(r.first, l.first, c.pos) < 0 : compare(l.first, r.first, c.pos) < 0;
  });
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(kv.second);
  return Value::list(std::move(out));
}

Value dictsort(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"case_sensitive", "by", "reverse"});
  bool cs = a.flag(0, false), rev = a.flag(2, false);
  std::string by = a.string(1, "key");
  if (by != "key" && by != "value") fail(c.pos, "dictsort(): 'by' must be 'key' or 'value'");
  if (!c.v.is_dict()) fail(c.pos, "dictsort needs a dict, not " + type_name(c.v));
  std::vector<std::pair<Value, Value>> entries = c.v.entries();
  std::stable_sort(entries.begin(), entries.end(), [&](const auto& l, const auto& r) {
    const Value& x = by == "key" ? l.first : l.second;
    const Value& y = by == "key" ? r.first : r.second;
    int cmp = compare(sort_key(x, cs), sort_key(y, cs), c.pos);
    return rev ? cmp > 0 : cmp < 0;
  });
  std::vector<Value> out;
  for (auto& kv : entries) out.push_back(Value::list({kv.first, kv.second}, true));
  return Value::list(std::move(out));
}

Value unique(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"case_sensitive", "attribute"});
  bool cs = a.flag(0, false);
  Value attr = a.value(1, Value::none());
  std::vector<Value> out, seen;
  for (const Value& x : c.ev.iterate(c.v, c.pos)) {
    Value k = sort_key(attr.is_none() ? x : get_path(c.ev, x, soft_str(attr), c.pos), cs);
    bool dup = false;
    for (const Value& s : seen) dup = dup || equals(s, k);
    c.ev.charge(seen.size(), c.pos);
    if (!dup) {
      seen.push_back(k);
      out.push_back(x);
    }
  }
  return Value::list(std::move(out));
}

// min / max.
template <bool Max>
Value extreme(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"case_sensitive", "attribute"});
  return min_max(c.ev, c.v, a, Max, c.pos);
}

Value sum_items(const BuiltinCall& c) {
  Args a(c.args, c.pos, c.name, {"attribute", "start"});
  Value attr = a.value(0, Value::none());
  Value total = a.value(1, Value::integer(0));
  for (const Value& x : c.ev.iterate(c.v, c.pos)) {
    Value item = attr.is_none() ? x : get_path(c.ev, x, soft_str(attr), c.pos);
    if (!item.is_number() || !total.is_number()) fail(c.pos, "sum: unsupported operand types");
    if (!item.is_float() && !total.is_float()) {
      int64_t r;
      if (__builtin_add_overflow(total.as_int(), item.as_int(), &r)) fail(c.pos, "integer overflow (unsupported)");
      total = Value::integer(r);
    } else {
      total = Value::number(total.as_double() + item.as_double());
    }
  }
  return total;
}

Value map_items(const BuiltinCall& c) {
  std::vector<Value> items = c.ev.iterate(c.v, c.pos);
  std::vector<Value> out;
  const Value* attr = nullptr;
  Value dflt;
  for (const auto& [k, x] : c.args.keyword) {
    if (k == "attribute") attr = &x;
    else if (k == "default") dflt = x;
  }
  if (attr) {
    for (const Value& x : items) {
      Value r = get_path(c.ev, x, soft_str(*attr), c.pos);
      out.push_back(r.is_undefined() && !dflt.is_undefined() ? dflt : r);
    }
    return Value::list(std::move(out));
  }
  if (c.args.positional.empty() || !c.args.positional[0].is_string()) fail(c.pos, "map needs a filter name or attribute=");
  std::string f = c.args.positional[0].str();
  if (!is_known_filter(f) || f == "map") fail(c.pos, "map: unsupported filter '" + f + "'");
  CallArgs rest;
  rest.positional.assign(c.args.positional.begin() + 1, c.args.positional.end());
  rest.keyword = c.args.keyword;
  for (const Value& x : items) {
    CallArgs copy = rest;
    out.push_back(apply_filter(c.ev, f, x, copy, c.pos));
  }
  return Value::list(std::move(out));
}

// select / reject (ByAttr false) and selectattr / rejectattr (true): keep the items whose
// test (or truth, without one) comes out as Keep.
template <bool ByAttr, bool Keep>
Value select(const BuiltinCall& c) {
  std::size_t at = 0;
  std::string attr;
  const std::string& name = c.name;
  CallArgs& args = c.args;
  if (ByAttr) {
    if (args.positional.empty() || !args.positional[0].is_string()) fail(c.pos, name + " needs an attribute name");
    attr = args.positional[0].str();
    at = 1;
  }
  std::string test;
  if (args.positional.size() > at) {
    if (!args.positional[at].is_string()) fail(c.pos, name + ": test name must be a string");
    test = args.positional[at].str();
    if (!is_known_test(test)) fail(c.pos, name + ": unsupported test '" + test + "'");
  }
  CallArgs rest;
  if (args.positional.size() > at + 1) rest.positional.assign(args.positional.begin() + static_cast<long>(at) + 1, args.positional.end());
  std::vector<Value> out;
  for (const Value& x : c.ev.iterate(c.v, c.pos)) {
    Value probe = ByAttr ? get_path(c.ev, x, attr, c.pos) : x;
    CallArgs copy = rest;
    bool ok = test.empty() ? truthy(probe) : apply_test(c.ev, test, probe, copy, c.pos);
    if (ok == Keep) out.push_back(x);
  }
  return Value::list(std::move(out));
}

using Filter = Named<FilterFn>;
// kOwn: the filter returns values of its input unchanged (their marks travel with them) or
// keeps marks byte for byte itself; every other filter's result is kDerived (builtin_call.h).
const std::array k_filters{
    Filter{"abs", abs_value},
    Filter{"capitalize", case_filter<unicode::capitalize>},
    Filter{"count", length},
    Filter{"d", default_value, Marks::kOwn},
    Filter{"default", default_value, Marks::kOwn},
    Filter{"dictsort", dictsort, Marks::kOwn},
    Filter{"e", escape},
    Filter{"escape", escape},
    Filter{"first", end_item<true>, Marks::kOwn},
    Filter{"float", to_float},
    Filter{"indent", indent},
    Filter{"int", to_int},
    Filter{"items", dict_items, Marks::kOwn},
    Filter{"join", join, Marks::kOwn},
    Filter{"last", end_item<false>, Marks::kOwn},
    Filter{"length", length},
    Filter{"list", to_list, Marks::kOwn},
    Filter{"lower", case_filter<unicode::lower>},
    Filter{"map", map_items, Marks::kOwn},
    Filter{"max", extreme<true>, Marks::kOwn},
    Filter{"min", extreme<false>, Marks::kOwn},
    Filter{"reject", select<false, false>, Marks::kOwn},
    Filter{"rejectattr", select<true, false>, Marks::kOwn},
    Filter{"replace", replace},
    Filter{"reverse", reverse, Marks::kOwn},
    Filter{"round", round_number},
    Filter{"safe", safe, Marks::kOwn},
    Filter{"select", select<false, true>, Marks::kOwn},
    Filter{"selectattr", select<true, true>, Marks::kOwn},
    Filter{"sort", sort_items, Marks::kOwn},
    Filter{"string", to_string, Marks::kOwn},
    Filter{"sum", sum_items},
    Filter{"title", case_filter<unicode::jinja_title>},  // Jinja's rule, not str.title()
    Filter{"tojson", tojson},
    Filter{"trim", trim, Marks::kOwn},
    Filter{"unique", unique, Marks::kOwn},
    Filter{"upper", case_filter<unicode::upper>},
};

}  // namespace

bool is_known_filter(std::string_view name) { return find_named(k_filters, name) != nullptr; }

Value apply_filter(Evaluator& ev, const std::string& name, const Value& v, CallArgs& args, Pos pos) {
  return call_named(k_filters, "filter", ev, name, v, args, pos);
}

}  // namespace tern::chat
