// Tree-walking evaluation of templates (see evaluator.h).
#include "chat/evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "chat/builtins.h"
#include "chat/unicode.h"

namespace tern::chat {

const Value* Scope::find(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent.get())
    for (const auto& [k, v] : s->vars)
      if (k == name) return &v;
  return nullptr;
}

void Scope::set(const std::string& name, Value v) {
  for (auto& [k, x] : vars)
    if (k == name) {
      x = std::move(v);
      return;
    }
  vars.emplace_back(name, std::move(v));
}

void fail_undefined(const Value& v, Pos pos) {
  if (!v.str().empty()) fail(pos, "'" + v.str() + "' is undefined");
  fail(pos, "use of an undefined value");
}

Evaluator::~Evaluator() {
  for (Value& ns : namespaces_) ns.ns().attrs.clear();
}

void Evaluator::charge(std::size_t bytes, Pos pos) {
  if (bytes > limits_.max_output_bytes)
    fail(pos, "a value or the output would exceed " + std::to_string(limits_.max_output_bytes) + " bytes");
  steps_ += 1 + bytes / 64;
  if (steps_ > limits_.max_steps)
    fail(pos, "rendering took more than " + std::to_string(limits_.max_steps) + " steps (runaway template?)");
}

void append_str(std::string& text, std::vector<TextSpan>& marks, const Value& v) {
  const std::size_t at = text.size();
  if (v.is_string()) {
    text += v.str();
    append_marks(marks, v.marks().spans(), at);
    return;
  }
  text += to_str(v);
  if (holds_content(v)) append_marks(marks, std::vector<TextSpan>{{0, text.size() - at}}, at);
}

Value to_value(Output out) { return Value::string(std::move(out.text), Provenance(std::move(out.marks))); }

void Evaluator::append(Output& out, const Value& v, Pos pos) {
  if (!v.is_string()) {
    std::string s = to_str(v);
    Provenance marks = holds_content(v) ? Provenance::all(s.size()) : Provenance();
    append(out, Value::string(std::move(s), std::move(marks)), pos);
    return;
  }
  charge(out.text.size() + v.str().size(), pos);
  append_str(out.text, out.marks, v);
}

void Evaluator::append_text(Output& out, std::string_view text, Pos pos) {
  charge(out.text.size() + text.size(), pos);
  out.text += text;
}

Output Evaluator::render(const Body& body, std::vector<std::pair<std::string, Value>> context) {
  auto globals = std::make_shared<Scope>();
  add_globals(globals->vars);
  auto top = std::make_shared<Scope>();
  top->parent = globals;
  top->vars = std::move(context);
  Output out;
  exec(body, top, out);
  return out;
}

namespace {

// A string as code points, to pick characters from (indexing, slicing, iteration): each
// picked character stays content if its bytes were.
class Chars {
 public:
  explicit Chars(const Value& s) : s_(s), cps_(unicode::decode(s.str())) {
    if (!s_.marks().any()) return;
    // Byte offset of each code point as decode() split it, and the size last.
    offs_.reserve(cps_.size() + 1);
    std::size_t at = 0;
    std::string one;
    for (char32_t c : cps_) {
      offs_.push_back(at);
      one.clear();
      unicode::append_utf8(one, c);
      at += one.size();
    }
    offs_.push_back(at);
    // decode() keeps every byte (invalid ones as U+DC80..), so this holds; should it not,
    // every picked character counts as content.
    exact_ = at == s_.str().size();
  }
  std::size_t size() const { return cps_.size(); }

  Value pick(const std::vector<std::size_t>& picks) const {  // indices < size()
    std::string out;
    std::vector<TextSpan> marks;
    for (std::size_t i : picks) {
      const std::size_t at = out.size();
      unicode::append_utf8(out, cps_[i]);
      if (s_.marks().any() && (!exact_ || any_marked(s_.marks().spans(), offs_[i], offs_[i + 1])))
        append_marks(marks, std::vector<TextSpan>{{0, out.size() - at}}, at);
    }
    return Value::string(std::move(out), Provenance(std::move(marks)));
  }

 private:
  const Value& s_;
  std::u32string cps_;
  std::vector<std::size_t> offs_;
  bool exact_ = false;
};

}  // namespace

std::vector<Value> Evaluator::iterate(const Value& v, Pos pos) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return {};
    case Value::Kind::List: return v.items();
    case Value::Kind::Dict: {
      std::vector<Value> keys;
      for (const auto& kv : v.entries()) keys.push_back(kv.first);
      return keys;
    }
    case Value::Kind::String: {
      const Chars cs(v);
      charge(cs.size() * 8, pos);
      std::vector<Value> chars;
      chars.reserve(cs.size());
      for (std::size_t i = 0; i < cs.size(); ++i) chars.push_back(cs.pick({i}));
      return chars;
    }
    default: fail(pos, "'" + type_name(v) + "' object is not iterable");
  }
}

// ---- statements ----------------------------------------------------------------------

Evaluator::Flow Evaluator::exec(const Body& body, const ScopePtr& scope, Output& out) {
  for (const StmtPtr& sp : body) {
    const Stmt& s = *sp;
    charge(0, s.pos);
    switch (s.kind) {
      case StmtKind::Data: append_text(out, s.text, s.pos); break;
      case StmtKind::Print: append(out, eval(*s.expr, scope), s.pos); break;
      case StmtKind::If: {
        Flow f = exec(truthy(eval(*s.expr, scope)) ? s.body : s.else_body, scope, out);
        if (f != Flow::Normal) return f;
        break;
      }
      case StmtKind::For: {
        Flow f = exec_for(s, scope, out);
        if (f != Flow::Normal) return f;
        break;
      }
      case StmtKind::Set: assign(s, scope, eval(*s.expr, scope)); break;
      case StmtKind::SetBlock: {
        Output captured;
        exec(s.body, scope, captured);
        Value v = to_value(std::move(captured));
        if (s.filter) v = eval_filter(*s.filter, scope, &v);
        assign(s, scope, std::move(v));
        break;
      }
      case StmtKind::Macro: scope->set(s.targets[0], make_macro(s, scope)); break;
      case StmtKind::FilterBlock: {
        Output captured;
        exec(s.body, scope, captured);
        Value v = to_value(std::move(captured));
        append(out, eval_filter(*s.filter, scope, &v), s.pos);
        break;
      }
      case StmtKind::With: {
        auto inner = std::make_shared<Scope>();
        inner->parent = scope;
        for (std::size_t i = 0; i < s.params.size(); ++i) inner->set(s.params[i], eval(*s.defaults[i], scope));
        Flow f = exec(s.body, inner, out);
        if (f != Flow::Normal) return f;
        break;
      }
      case StmtKind::Break: return Flow::Break;
      case StmtKind::Continue: return Flow::Continue;
    }
  }
  return Flow::Normal;
}

static void bind_targets(const Stmt& s, Scope& scope, const Value& v, Pos pos, Evaluator& ev) {
  if (!s.tuple_target) {
    scope.set(s.targets[0], v);
    return;
  }
  std::vector<Value> parts = ev.iterate(v, pos);
  if (parts.size() != s.targets.size())
    fail(pos, "cannot unpack " + std::to_string(parts.size()) + " values into " + std::to_string(s.targets.size()) +
                  " names");
  for (std::size_t i = 0; i < parts.size(); ++i) scope.set(s.targets[i], parts[i]);
}

Evaluator::Flow Evaluator::exec_for(const Stmt& s, const ScopePtr& scope, Output& out) {
  Value iterable = eval(*s.expr, scope);
  if (iterable.is_none()) fail(s.expr->pos, "'NoneType' object is not iterable");
  std::vector<Value> items = iterate(iterable, s.expr->pos);
  if (s.filter) {  // `for x in xs if cond`: filtered first, so loop.length counts survivors
    std::vector<Value> kept;
    for (const Value& item : items) {
      auto probe = std::make_shared<Scope>();
      probe->parent = scope;
      bind_targets(s, *probe, item, s.pos, *this);
      if (truthy(eval(*s.filter, probe))) kept.push_back(item);
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    auto inner = std::make_shared<Scope>();
    inner->parent = scope;
    exec(s.else_body, inner, out);
    return Flow::Normal;
  }
  const int64_t n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < n; ++i) {
    charge(1024, s.pos);  // an iteration (scope + loop object) costs ~16 steps, even with an empty body
    auto inner = std::make_shared<Scope>();
    inner->parent = scope;
    bind_targets(s, *inner, items[static_cast<std::size_t>(i)], s.pos, *this);
    auto str = [](const char* k) { return Value::string(k); };
    int64_t index0 = i;
    std::vector<std::pair<Value, Value>> loop = {
        {str("index"), Value::integer(i + 1)},
        {str("index0"), Value::integer(i)},
        {str("revindex"), Value::integer(n - i)},
        {str("revindex0"), Value::integer(n - i - 1)},
        {str("first"), Value::boolean(i == 0)},
        {str("last"), Value::boolean(i == n - 1)},
        {str("length"), Value::integer(n)},
        {str("depth"), Value::integer(1)},
        {str("depth0"), Value::integer(0)},
        {str("previtem"), i > 0 ? items[static_cast<std::size_t>(i - 1)] : Value::undefined("loop.previtem")},
        {str("nextitem"), i + 1 < n ? items[static_cast<std::size_t>(i + 1)] : Value::undefined("loop.nextitem")},
        {str("cycle"), Value::callable("loop.cycle", [index0](Evaluator&, CallArgs& a, Pos pos) -> Value {
           if (a.positional.empty()) fail(pos, "loop.cycle() needs at least one argument");
           return a.positional[static_cast<std::size_t>(index0) % a.positional.size()];
         })},
    };
    inner->set("loop", Value::dict(std::move(loop)));
    Flow f = exec(s.body, inner, out);
    if (f == Flow::Break) break;
  }
  return Flow::Normal;
}

void Evaluator::assign(const Stmt& s, const ScopePtr& scope, Value v) {
  if (!s.attr.empty()) {
    const Value* target = scope->find(s.targets[0]);
    if (!target || !target->is_namespace())
      fail(s.pos, "cannot assign attribute '" + s.attr + "' on '" + s.targets[0] +
                      "': only namespace() objects can be assigned to");
    target->ns().set(s.attr, std::move(v));
    return;
  }
  bind_targets(s, *scope, v, s.pos, *this);
}

Value Evaluator::make_macro(const Stmt& s, const ScopePtr& scope) {
  std::weak_ptr<Scope> home = scope;  // weak: the macro lives in that scope itself
  const Stmt* def = &s;
  return Value::callable(s.targets[0], [def, home](Evaluator& ev, CallArgs& args, Pos pos) -> Value {
    ScopePtr parent = home.lock();
    if (!parent) fail(pos, "macro '" + def->targets[0] + "' called after its scope ended (unsupported)");
    if (args.positional.size() > def->params.size())
      fail(pos, "macro '" + def->targets[0] + "' takes " + std::to_string(def->params.size()) + " arguments");
    if (ev.call_depth_ >= ev.limits_.max_call_depth)
      fail(pos, "macro calls nested more than " + std::to_string(ev.limits_.max_call_depth) + " deep");
    auto frame = std::make_shared<Scope>();
    frame->parent = parent;
    const std::size_t first_default = def->params.size() - def->defaults.size();
    for (std::size_t i = 0; i < def->params.size(); ++i) {
      const std::string& p = def->params[i];
      bool given = false;
      if (i < args.positional.size()) {
        frame->set(p, args.positional[i]);
        given = true;
      }
      for (auto& [k, v] : args.keyword)
        if (k == p) {
          if (given) fail(pos, "macro '" + def->targets[0] + "' got multiple values for '" + p + "'");
          frame->set(p, v);
          given = true;
        }
      if (!given)
        frame->set(p, i >= first_default ? ev.eval(*def->defaults[i - first_default], frame) : Value::undefined(p));
    }
    for (auto& [k, v] : args.keyword)
      if (std::find(def->params.begin(), def->params.end(), k) == def->params.end())
        fail(pos, "macro '" + def->targets[0] + "' takes no keyword argument '" + k + "'");
    ++ev.call_depth_;
    Output out;
    try {
      ev.exec(def->body, frame, out);
    } catch (...) {
      --ev.call_depth_;
      throw;
    }
    --ev.call_depth_;
    return to_value(std::move(out));
  });
}

// ---- expressions ---------------------------------------------------------------------

Value Evaluator::call(const Value& callee, CallArgs& args, Pos pos) {
  if (callee.is_undefined()) fail_undefined(callee, pos);
  if (!callee.is_callable()) fail(pos, "'" + type_name(callee) + "' object is not callable");
  return callee.fn().fn(*this, args, pos);
}

Value Evaluator::eval_getattr(const Value& obj, const std::string& name, Pos pos) {
  switch (obj.kind()) {
    case Value::Kind::Undefined: fail_undefined(obj, pos);
    case Value::Kind::Dict: {
      Value m = bound_method(obj, name);
      if (!m.is_undefined()) return m;
      if (const Value* v = obj.find(name)) return *v;
      return Value::undefined(name);
    }
    case Value::Kind::Namespace: {
      if (Value* v = obj.ns().find(name)) return *v;
      return Value::undefined(name);
    }
    case Value::Kind::String:
    case Value::Kind::List: {
      Value m = bound_method(obj, name);
      if (!m.is_undefined()) return m;
      return Value::undefined(name);
    }
    case Value::Kind::Int:
    case Value::Kind::Bool:
    case Value::Kind::Float: {  // the data attributes Python numbers have
      if (name == "real") return obj.is_float() ? obj : Value::integer(obj.as_int());
      if (name == "imag") return obj.is_float() ? Value::number(0.0) : Value::integer(0);
      if (!obj.is_float() && name == "numerator") return Value::integer(obj.as_int());
      if (!obj.is_float() && name == "denominator") return Value::integer(1);
      return Value::undefined(name);
    }
    default: return Value::undefined(name);
  }
}

static int64_t normalize_index(int64_t i, int64_t n) { return i < 0 ? i + n : i; }

Value Evaluator::eval_getitem(const Value& obj, const Value& key, Pos pos) {
  switch (obj.kind()) {
    case Value::Kind::Undefined: fail_undefined(obj, pos);
    case Value::Kind::Dict: {
      if (const Value* v = obj.find(key)) return *v;
      break;
    }
    case Value::Kind::List: {
      if (key.is_int() || key.is_bool()) {
        int64_t n = static_cast<int64_t>(obj.items().size());
        int64_t i = normalize_index(key.as_int(), n);
        if (i >= 0 && i < n) return obj.items()[static_cast<std::size_t>(i)];
        return Value::undefined("[" + std::to_string(key.as_int()) + "]");
      }
      break;
    }
    case Value::Kind::String: {
      if (key.is_int() || key.is_bool()) {
        const Chars cs(obj);
        int64_t n = static_cast<int64_t>(cs.size());
        int64_t i = normalize_index(key.as_int(), n);
        if (i >= 0 && i < n) return cs.pick({static_cast<std::size_t>(i)});
        return Value::undefined("[" + std::to_string(key.as_int()) + "]");
      }
      break;
    }
    default: break;
  }
  // Jinja falls back to attribute lookup for string keys (ns['x'], d['items']).
  if (key.is_string()) return eval_getattr(obj, key.str(), pos);
  return Value::undefined("[" + to_str(key) + "]");
}

Value Evaluator::eval_slice(const Value& obj, const Expr& slice, const ScopePtr& scope) {
  Pos pos = slice.pos;
  auto part = [&](int k) -> std::optional<int64_t> {
    if (!slice.args[static_cast<std::size_t>(k)]) return std::nullopt;
    Value v = eval(*slice.args[static_cast<std::size_t>(k)], scope);
    if (v.is_none()) return std::nullopt;
    if (!v.is_int() && !v.is_bool()) fail(pos, "slice indices must be integers or None, not " + type_name(v));
    return v.as_int();
  };
  std::optional<int64_t> start = part(0), stop = part(1), step_opt = part(2);
  int64_t step = step_opt.value_or(1);
  if (step == 0) fail(pos, "slice step cannot be zero");
  if (obj.is_undefined()) fail_undefined(obj, pos);
  std::optional<Chars> chars;
  int64_t n;
  if (obj.is_string()) {
    chars.emplace(obj);
    n = static_cast<int64_t>(chars->size());
  } else if (obj.is_list()) {
    n = static_cast<int64_t>(obj.items().size());
  } else {
    fail(pos, "'" + type_name(obj) + "' object cannot be sliced");
  }
  // Python's slice.indices()
  auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= n) {
      x = step < 0 ? n - 1 : n;
    }
    return x;
  };
  int64_t lo = clamp(start, step < 0 ? n - 1 : 0), hi = clamp(stop, step < 0 ? -1 : n);
  std::vector<std::size_t> picks;
  for (int64_t i = lo; step > 0 ? i < hi : i > hi; i += step) picks.push_back(static_cast<std::size_t>(i));
  charge(picks.size() * 4, pos);
  if (chars) return chars->pick(picks);
  std::vector<Value> r;
  for (std::size_t i : picks) r.push_back(obj.items()[i]);
  return Value::list(std::move(r), obj.is_tuple());
}

Value Evaluator::eval_filter(const Expr& e, const ScopePtr& scope, const Value* operand) {
  Value in;
  if (e.args[0]) in = e.args[0]->kind == ExprKind::Filter ? eval_filter(*e.args[0], scope, operand) : eval(*e.args[0], scope);
  else if (operand) in = *operand;
  CallArgs args;
  for (std::size_t i = 1; i < e.args.size(); ++i) args.positional.push_back(eval(*e.args[i], scope));
  for (const auto& [k, v] : e.kwargs) args.keyword.emplace_back(k, eval(*v, scope));
  return apply_filter(*this, e.name, in, args, e.pos);
}

static bool checked_add(int64_t a, int64_t b, int64_t* r) { return !__builtin_add_overflow(a, b, r); }
static bool checked_sub(int64_t a, int64_t b, int64_t* r) { return !__builtin_sub_overflow(a, b, r); }
static bool checked_mul(int64_t a, int64_t b, int64_t* r) { return !__builtin_mul_overflow(a, b, r); }

static Value repeat(Evaluator& ev, const Value& seq, int64_t times, Pos pos) {
  if (times < 0) times = 0;
  if (seq.is_string()) {
    if (times > 0 && seq.str().size() > ev.limits().max_output_bytes / static_cast<uint64_t>(times))
      ev.charge(ev.limits().max_output_bytes + 1, pos);
    Output r;
    ev.charge(seq.str().size() * static_cast<std::size_t>(times), pos);
    for (int64_t i = 0; i < times; ++i) append_str(r.text, r.marks, seq);
    return to_value(std::move(r));
  }
  std::size_t n = seq.items().size();
  if (times > 0 && n > ev.limits().max_output_bytes / 8 / static_cast<uint64_t>(times))
    ev.charge(ev.limits().max_output_bytes + 1, pos);
  ev.charge(n * static_cast<std::size_t>(times) * 8, pos);
  std::vector<Value> r;
  for (int64_t i = 0; i < times; ++i) r.insert(r.end(), seq.items().begin(), seq.items().end());
  return Value::list(std::move(r), seq.is_tuple());
}

Value Evaluator::eval_binary(const Expr& e, const ScopePtr& scope) {
  const std::string& op = e.name;
  Pos pos = e.pos;
  if (op == "and" || op == "or") {
    Value a = eval(*e.args[0], scope);
    if ((op == "and") != truthy(a)) return a;
    return eval(*e.args[1], scope);
  }
  Value a = eval(*e.args[0], scope);
  Value b = eval(*e.args[1], scope);
  if (op == "~") {
    Output r;
    append_str(r.text, r.marks, a);
    append_str(r.text, r.marks, b);
    charge(r.text.size(), pos);
    return to_value(std::move(r));
  }
  if (a.is_undefined()) fail_undefined(a, pos);
  if (b.is_undefined()) fail_undefined(b, pos);
  auto type_error = [&]() -> Value {
    fail(pos, "unsupported operand types for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
  };
  const bool nums = a.is_number() && b.is_number();
  const bool ints = nums && !a.is_float() && !b.is_float();
  int64_t r = 0;
  if (op == "+") {
    if (ints) {
      if (!checked_add(a.as_int(), b.as_int(), &r)) fail(pos, "integer overflow (unsupported)");
      return Value::integer(r);
    }
    if (nums) return Value::number(a.as_double() + b.as_double());
    if (a.is_string() && b.is_string()) {
      charge(a.str().size() + b.str().size(), pos);
      Output r;
      append_str(r.text, r.marks, a);
      append_str(r.text, r.marks, b);
      return to_value(std::move(r));
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      charge((a.items().size() + b.items().size()) * 8, pos);
      std::vector<Value> items = a.items();
      items.insert(items.end(), b.items().begin(), b.items().end());
      return Value::list(std::move(items), a.is_tuple());
    }
    return type_error();
  }
  if (op == "-") {
    if (ints) {
      if (!checked_sub(a.as_int(), b.as_int(), &r)) fail(pos, "integer overflow (unsupported)");
      return Value::integer(r);
    }
    if (nums) return Value::number(a.as_double() - b.as_double());
    return type_error();
  }
  if (op == "*") {
    if (ints) {
      if (!checked_mul(a.as_int(), b.as_int(), &r)) fail(pos, "integer overflow (unsupported)");
      return Value::integer(r);
    }
    if (nums) return Value::number(a.as_double() * b.as_double());
    if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return repeat(*this, a, b.as_int(), pos);
    if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return repeat(*this, b, a.as_int(), pos);
    return type_error();
  }
  if (op == "/") {
    if (!nums) return type_error();
    if (b.as_double() == 0) fail(pos, "division by zero");
    return Value::number(a.as_double() / b.as_double());
  }
  if (op == "//" || op == "%") {
    if (a.is_string() && op == "%") fail(pos, "unsupported: printf-style string formatting with %");
    if (!nums) return type_error();
    if (b.as_double() == 0) fail(pos, op == "//" ? "integer division or modulo by zero" : "modulo by zero");
    if (ints) {
      int64_t x = a.as_int(), y = b.as_int();
      if (x == std::numeric_limits<int64_t>::min() && y == -1) fail(pos, "integer overflow (unsupported)");
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        q -= 1;
        m += y;
      }
      return Value::integer(op == "//" ? q : m);
    }
    double x = a.as_double(), y = b.as_double();
    double m = std::fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    if (op == "%") return Value::number(m);
    return Value::number(std::floor((x - m) / y + 0.5));
  }
  if (op == "**") {
    if (!nums) return type_error();
    if (ints && b.as_int() >= 0) {
      int64_t base = a.as_int(), exp = b.as_int(), result = 1;
      if (base == 0) return Value::integer(exp == 0 ? 1 : 0);
      if (base == 1) return Value::integer(1);
      if (base == -1) return Value::integer(exp % 2 == 0 ? 1 : -1);
      for (int64_t k = 0; k < exp; ++k)  // |base| >= 2 overflows within 64 rounds
        if (!checked_mul(result, base, &result)) fail(pos, "integer overflow (unsupported)");
      return Value::integer(result);
    }
    if (a.as_double() == 0 && b.as_double() < 0) fail(pos, "0.0 cannot be raised to a negative power");
    return Value::number(std::pow(a.as_double(), b.as_double()));
  }
  fail(pos, "unsupported operator '" + op + "'");
}

bool Evaluator::eval_compare(const std::string& op, const Value& a, const Value& b, Pos pos) {
  if (op == "==") return equals(a, b);
  if (op == "!=") return !equals(a, b);
  if (op == "in" || op == "not in") {
    bool found = false;
    if (b.is_string()) {
      if (!a.is_string()) fail(pos, "'in <string>' requires string as left operand, not " + type_name(a));
      found = b.str().find(a.str()) != std::string::npos;
    } else if (b.is_list()) {
      for (const Value& x : b.items())
        if (equals(x, a)) {
          found = true;
          break;
        }
    } else if (b.is_dict()) {
      found = b.find(a) != nullptr;
    } else if (b.is_undefined()) {
      found = false;  // Undefined iterates as empty
    } else {
      fail(pos, "argument of type '" + type_name(b) + "' is not iterable");
    }
    return op == "in" ? found : !found;
  }
  if (a.is_undefined()) fail_undefined(a, pos);
  if (b.is_undefined()) fail_undefined(b, pos);
  int c = compare(a, b, pos);
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

Value Evaluator::eval(const Expr& e, const ScopePtr& scope) {
  charge(0, e.pos);
  switch (e.kind) {
    case ExprKind::Const: return e.value;
    case ExprKind::Name: {
      if (const Value* v = scope->find(e.name)) return *v;
      return Value::undefined(e.name);
    }
    case ExprKind::List:
    case ExprKind::Tuple: {
      std::vector<Value> items;
      for (const ExprPtr& x : e.args) items.push_back(eval(*x, scope));
      charge(items.size() * 8, e.pos);
      return Value::list(std::move(items), e.kind == ExprKind::Tuple);
    }
    case ExprKind::Dict: {
      std::vector<std::pair<Value, Value>> items;
      for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Value k = eval(*e.args[i], scope);
        Value v = eval(*e.args[i + 1], scope);
        if (k.is_list() && !k.is_tuple()) fail(e.args[i]->pos, "unhashable type: 'list'");
        if (k.is_dict()) fail(e.args[i]->pos, "unhashable type: 'dict'");
        bool replaced = false;
        for (auto& kv : items)
          if (equals(kv.first, k)) {
            kv.second = v;
            replaced = true;
          }
        if (!replaced) items.emplace_back(std::move(k), std::move(v));
      }
      charge(items.size() * 16, e.pos);
      return Value::dict(std::move(items));
    }
    case ExprKind::Getattr: return eval_getattr(eval(*e.args[0], scope), e.name, e.pos);
    case ExprKind::Getitem: {
      Value obj = eval(*e.args[0], scope);
      if (e.args[1]->kind == ExprKind::Slice) return eval_slice(obj, *e.args[1], scope);
      return eval_getitem(obj, eval(*e.args[1], scope), e.pos);
    }
    case ExprKind::Slice: fail(e.pos, "a slice is only valid inside [ ]");
    case ExprKind::Call: {
      Value callee = eval(*e.args[0], scope);
      CallArgs args;
      for (std::size_t i = 1; i < e.args.size(); ++i) args.positional.push_back(eval(*e.args[i], scope));
      for (const auto& [k, v] : e.kwargs) args.keyword.emplace_back(k, eval(*v, scope));
      if (callee.is_undefined() && e.args[0]->kind == ExprKind::Getattr)
        fail(e.pos, "no method '" + e.args[0]->name + "' on this value (unsupported, or not allowed in HF's sandbox)");
      return call(callee, args, e.pos);
    }
    case ExprKind::Filter: return eval_filter(e, scope, nullptr);
    case ExprKind::Test: {
      Value in = eval(*e.args[0], scope);
      CallArgs args;
      for (std::size_t i = 1; i < e.args.size(); ++i) args.positional.push_back(eval(*e.args[i], scope));
      for (const auto& [k, v] : e.kwargs) args.keyword.emplace_back(k, eval(*v, scope));
      return Value::boolean(apply_test(*this, e.name, in, args, e.pos));
    }
    case ExprKind::Unary: {
      Value v = eval(*e.args[0], scope);
      if (e.name == "not") return Value::boolean(!truthy(v));
      if (v.is_undefined()) fail_undefined(v, e.pos);
      if (!v.is_number()) fail(e.pos, "bad operand type for unary " + e.name + ": '" + type_name(v) + "'");
      if (e.name == "+") return v.is_bool() ? Value::integer(v.as_int()) : v;
      if (v.is_float()) return Value::number(-v.as_double());
      if (v.as_int() == std::numeric_limits<int64_t>::min()) fail(e.pos, "integer overflow (unsupported)");
      return Value::integer(-v.as_int());
    }
    case ExprKind::Binary: return eval_binary(e, scope);
    case ExprKind::Compare: {
      Value left = eval(*e.args[0], scope);
      for (std::size_t i = 0; i < e.ops.size(); ++i) {
        Value right = eval(*e.args[i + 1], scope);
        if (!eval_compare(e.ops[i], left, right, e.pos)) return Value::boolean(false);
        left = std::move(right);
      }
      return Value::boolean(true);
    }
    case ExprKind::CondExpr: {
      if (truthy(eval(*e.args[0], scope))) return eval(*e.args[1], scope);
      if (e.args[2]) return eval(*e.args[2], scope);
      return Value::undefined();
    }
  }
  fail(e.pos, "internal error: unknown expression kind");
}

}  // namespace tern::chat
