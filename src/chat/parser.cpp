// Recursive-descent parser for the Jinja subset (see parser.h for the grammar).
#include "chat/parser.h"

#include <algorithm>
#include <initializer_list>

#include "chat/builtins.h"

namespace tern::chat {

namespace {

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, int max_depth) : t_(tokens), max_depth_(max_depth) {}

  Body parse_template() {
    Body body = subparse({});
    return body;
  }

 private:
  // ---- token helpers -------------------------------------------------------------------
  const Token& cur() const { return t_[i_]; }
  const Token& look(std::size_t n = 1) const { return t_[std::min(i_ + n, t_.size() - 1)]; }
  void advance() {
    if (i_ + 1 < t_.size()) ++i_;
  }
  bool is_op(const char* op) const { return cur().type == Tok::Op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Tok::Name && cur().text == n; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(const char* n) {
    if (!is_name(n)) return false;
    advance();
    return true;
  }
  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::Data: return "template data";
      case Tok::VarBegin: return "'{{'";
      case Tok::VarEnd: return "end of print statement '}}'";
      case Tok::BlockBegin: return "'{%'";
      case Tok::BlockEnd: return "end of statement block '%}'";
      case Tok::Name: return "'" + t.text + "'";
      case Tok::String: return "string literal";
      case Tok::Int:
      case Tok::Float: return "number '" + t.text + "'";
      case Tok::Op: return "'" + t.text + "'";
      case Tok::Eof: return "end of template";
    }
    return "?";
  }
  [[noreturn]] void unexpected(const std::string& wanted) const {
    fail(cur().pos, "expected " + wanted + ", got " + describe(cur()));
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) unexpected(std::string("'") + op + "'");
  }
  void expect(Tok type, const char* what) {
    if (cur().type != type) unexpected(what);
    advance();
  }
  std::string expect_name() {
    if (cur().type != Tok::Name) unexpected("a name");
    std::string n = cur().text;
    advance();
    return n;
  }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > p.max_depth_)
        fail(p.cur().pos, "template nested more than " + std::to_string(p.max_depth_) + " levels deep");
    }
    ~DepthGuard() { --p.depth_; }
  };

  static ExprPtr node(ExprKind kind, Pos pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }

  // ---- statements ----------------------------------------------------------------------
  // Parses until `{% <one of end_tags>`; leaves the cursor on that tag's name.
  Body subparse(std::initializer_list<const char*> end_tags) {
    DepthGuard guard(*this);
    Body body;
    while (cur().type != Tok::Eof) {
      const Token& t = cur();
      if (t.type == Tok::Data) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Data;
        s->pos = t.pos;
        s->text = t.text;
        body.push_back(std::move(s));
        advance();
      } else if (t.type == Tok::VarBegin) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Print;
        s->pos = t.pos;
        advance();
        s->expr = parse_tuple(true, {}, false);
        expect(Tok::VarEnd, "'}}'");
        body.push_back(std::move(s));
      } else if (t.type == Tok::BlockBegin) {
        advance();
        for (const char* end : end_tags)
          if (is_name(end)) return body;
        body.push_back(parse_statement());
        expect(Tok::BlockEnd, "'%}'");
      } else {
        unexpected("template data or a tag");
      }
    }
    if (end_tags.size() != 0) {
      std::string names;
      for (const char* e : end_tags) names += (names.empty() ? "'" : " or '") + std::string(e) + "'";
      fail(cur().pos, "unexpected end of template: missing " + names);
    }
    return body;
  }

  Body parse_statements(std::initializer_list<const char*> end_tags) {
    skip_op(":");
    expect(Tok::BlockEnd, "'%}'");
    return subparse(end_tags);
  }

  StmtPtr make_stmt(StmtKind kind, Pos pos) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->pos = pos;
    return s;
  }

  StmtPtr parse_statement() {
    if (cur().type != Tok::Name) unexpected("a tag name");
    const std::string tag = cur().text;
    Pos pos = cur().pos;
    if (tag == "for") return parse_for();
    if (tag == "if") return parse_if();
    if (tag == "set") return parse_set();
    if (tag == "macro") return parse_macro();
    if (tag == "filter") return parse_filter_block();
    if (tag == "with" || tag == "generation") return parse_with(tag);
    if (tag == "print") {
      advance();
      auto s = make_stmt(StmtKind::Print, pos);
      s->expr = parse_tuple(true, {}, false);
      return s;
    }
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail(pos, "'" + tag + "' outside of a for loop");
      advance();
      return make_stmt(tag == "break" ? StmtKind::Break : StmtKind::Continue, pos);
    }
    static const char* unsupported[] = {"extends", "block", "include", "import", "from", "call", "autoescape", "do", "trans"};
    for (const char* u : unsupported)
      if (tag == u) fail(pos, "unsupported tag '" + tag + "'");
    fail(pos, "unknown tag '" + tag + "'");
  }

  StmtPtr parse_for() {
    auto s = make_stmt(StmtKind::For, cur().pos);
    advance();
    parse_name_targets(*s, "in");
    if (!skip_name("in")) unexpected("'in'");
    s->expr = parse_tuple(false, {"recursive"}, false);
    if (skip_name("if")) s->filter = parse_expression(true);
    if (is_name("recursive")) fail(cur().pos, "unsupported: recursive for loops");
    ++loop_depth_;
    s->body = parse_statements({"endfor", "else"});
    --loop_depth_;
    if (skip_name("else")) {
      s->else_body = parse_statements({"endfor"});
    }
    advance();  // endfor
    return s;
  }

  // `a` or `a, b` or `(a, b)`: plain names only.
  void parse_name_targets(Stmt& s, const char* end_name) {
    bool paren = skip_op("(");
    while (true) {
      s.targets.push_back(expect_name());
      if (!skip_op(",")) break;
      s.tuple_target = true;
      if (paren ? is_op(")") : (is_name(end_name) || is_op("="))) break;
    }
    if (paren) {
      expect_op(")");
      s.tuple_target = true;
    }
  }

  StmtPtr parse_if() {
    auto top = make_stmt(StmtKind::If, cur().pos);
    advance();
    Stmt* node = top.get();
    while (true) {
      node->expr = parse_tuple(false, {}, false);
      node->body = parse_statements({"elif", "else", "endif"});
      if (is_name("elif")) {
        auto elif = make_stmt(StmtKind::If, cur().pos);
        advance();
        Stmt* next = elif.get();
        node->else_body.push_back(std::move(elif));
        node = next;
        continue;
      }
      if (skip_name("else")) node->else_body = parse_statements({"endif"});
      advance();  // endif
      return top;
    }
  }

  StmtPtr parse_set() {
    Pos pos = cur().pos;
    advance();
    auto s = make_stmt(StmtKind::Set, pos);
    if (cur().type == Tok::Name && look().type == Tok::Op && look().text == "." ) {
      s->targets.push_back(expect_name());
      advance();
      s->attr = expect_name();
    } else {
      parse_name_targets(*s, "");
    }
    if (skip_op("=")) {
      s->expr = parse_tuple(true, {}, false);
      return s;
    }
    s->kind = StmtKind::SetBlock;
    if (is_op("|")) s->filter = parse_filter(nullptr, false);
    s->body = parse_statements({"endset"});
    advance();
    return s;
  }

  StmtPtr parse_macro() {
    auto s = make_stmt(StmtKind::Macro, cur().pos);
    advance();
    s->targets.push_back(expect_name());
    expect_op("(");
    while (!is_op(")")) {
      if (!s->params.empty()) expect_op(",");
      if (is_op(")")) break;
      s->params.push_back(expect_name());
      if (skip_op("=")) s->defaults.push_back(parse_expression(true));
      else if (!s->defaults.empty()) fail(cur().pos, "non-default argument follows default argument");
    }
    expect_op(")");
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_statements({"endmacro"});
    loop_depth_ = saved;
    advance();
    return s;
  }

  StmtPtr parse_filter_block() {
    auto s = make_stmt(StmtKind::FilterBlock, cur().pos);
    advance();
    s->filter = parse_filter(nullptr, true);
    s->body = parse_statements({"endfilter"});
    advance();
    return s;
  }

  StmtPtr parse_with(const std::string& tag) {
    auto s = make_stmt(StmtKind::With, cur().pos);
    advance();
    if (tag == "with") {
      while (cur().type != Tok::BlockEnd) {
        if (!s->params.empty()) expect_op(",");
        s->params.push_back(expect_name());
        expect_op("=");
        s->defaults.push_back(parse_expression(true));
      }
      s->body = parse_statements({"endwith"});
    } else {
      s->body = parse_statements({"endgeneration"});
    }
    advance();
    return s;
  }

  // ---- expressions ---------------------------------------------------------------------
  bool is_tuple_end(std::initializer_list<const char*> extra_end) const {
    if (cur().type == Tok::VarEnd || cur().type == Tok::BlockEnd || is_op(")")) return true;
    for (const char* e : extra_end)
      if (is_name(e)) return true;
    return false;
  }

  ExprPtr parse_tuple(bool with_condexpr, std::initializer_list<const char*> extra_end, bool explicit_parens) {
    Pos pos = cur().pos;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      items.push_back(parse_expression(with_condexpr));
      if (is_op(",")) is_tuple = true;
      else break;
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) unexpected("an expression");
    }
    auto e = node(ExprKind::Tuple, pos);
    e->args = std::move(items);
    return e;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(*this);
    if (!with_condexpr) return parse_or();
    ExprPtr e = parse_or();
    while (is_name("if")) {
      Pos pos = cur().pos;
      advance();
      auto c = node(ExprKind::CondExpr, pos);
      ExprPtr test = parse_or();
      ExprPtr otherwise = skip_name("else") ? parse_expression(true) : nullptr;
      c->args.push_back(std::move(test));
      c->args.push_back(std::move(e));
      c->args.push_back(std::move(otherwise));
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(const std::string& op, Pos pos, ExprPtr a, ExprPtr b) {
    auto e = node(ExprKind::Binary, pos);
    e->name = op;
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      Pos pos = cur().pos;
      advance();
      left = binary("or", pos, std::move(left), parse_and());
    }
    return left;
  }
  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      Pos pos = cur().pos;
      advance();
      left = binary("and", pos, std::move(left), parse_not());
    }
    return left;
  }
  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto e = node(ExprKind::Unary, cur().pos);
      advance();
      e->name = "not";
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }
  ExprPtr parse_compare() {
    Pos pos = cur().pos;
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().type == Tok::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                    cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && look().type == Tok::Name && look().text == "in") {
        op = "not in";
        advance();
        advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(ExprKind::Compare, pos);
        cmp->args.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }
  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      std::string op = cur().text;
      Pos pos = cur().pos;
      advance();
      left = binary(op, pos, std::move(left), parse_concat());
    }
    return left;
  }
  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      Pos pos = cur().pos;
      advance();
      left = binary("~", pos, std::move(left), parse_math2());
    }
    return left;
  }
  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      std::string op = cur().text;
      Pos pos = cur().pos;
      advance();
      left = binary(op, pos, std::move(left), parse_pow());
    }
    return left;
  }
  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      Pos pos = cur().pos;
      advance();
      left = binary("**", pos, std::move(left), parse_unary(true));
    }
    return left;
  }
  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      e = node(ExprKind::Unary, cur().pos);
      e->name = cur().text;
      advance();
      e->args.push_back(parse_unary(false));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    Pos pos = t.pos;
    if (t.type == Tok::Name) {
      std::string n = t.text;
      advance();
      auto e = node(ExprKind::Const, pos);
      if (n == "true" || n == "True") e->value = Value::boolean(true);
      else if (n == "false" || n == "False") e->value = Value::boolean(false);
      else if (n == "none" || n == "None") e->value = Value::none();
      else {
        e->kind = ExprKind::Name;
        e->name = n;
      }
      return e;
    }
    if (t.type == Tok::String) {
      std::string s;
      while (cur().type == Tok::String) {
        s += cur().text;
        advance();
      }
      auto e = node(ExprKind::Const, pos);
      e->value = Value::string(std::move(s));
      return e;
    }
    if (t.type == Tok::Int || t.type == Tok::Float) {
      auto e = node(ExprKind::Const, pos);
      e->value = t.type == Tok::Int ? Value::integer(t.i) : Value::number(t.f);
      advance();
      return e;
    }
    if (is_op("(")) {
      advance();
      ExprPtr e = parse_tuple(true, {}, true);
      expect_op(")");
      return e;
    }
    if (is_op("[")) {
      advance();
      auto e = node(ExprKind::List, pos);
      while (!is_op("]")) {
        if (!e->args.empty()) expect_op(",");
        if (is_op("]")) break;
        e->args.push_back(parse_expression(true));
      }
      expect_op("]");
      return e;
    }
    if (is_op("{")) {
      advance();
      auto e = node(ExprKind::Dict, pos);
      while (!is_op("}")) {
        if (!e->args.empty()) expect_op(",");
        if (is_op("}")) break;
        e->args.push_back(parse_expression(true));
        expect_op(":");
        e->args.push_back(parse_expression(true));
      }
      expect_op("}");
      return e;
    }
    unexpected("an expression");
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      if (is_op(".") || is_op("[")) e = parse_subscript(std::move(e));
      else if (is_op("(")) e = parse_call(std::move(e));
      else return e;
    }
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    while (true) {
      if (is_op("|")) e = parse_filter(std::move(e), false);
      else if (is_name("is")) e = parse_test(std::move(e));
      else if (is_op("(")) e = parse_call(std::move(e));
      else return e;
    }
  }

  ExprPtr parse_subscript(ExprPtr obj) {
    DepthGuard guard(*this);
    Pos pos = cur().pos;
    if (skip_op(".")) {
      if (cur().type == Tok::Name) {
        auto e = node(ExprKind::Getattr, pos);
        e->name = cur().text;
        advance();
        e->args.push_back(std::move(obj));
        return e;
      }
      if (cur().type != Tok::Int) unexpected("a name or number after '.'");
      auto e = node(ExprKind::Getitem, pos);
      auto idx = node(ExprKind::Const, cur().pos);
      idx->value = Value::integer(cur().i);
      advance();
      e->args.push_back(std::move(obj));
      e->args.push_back(std::move(idx));
      return e;
    }
    expect_op("[");
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) expect_op(",");
      args.push_back(parse_subscribed());
    }
    expect_op("]");
    if (args.empty()) fail(pos, "expected a subscript expression");
    auto e = node(ExprKind::Getitem, pos);
    e->args.push_back(std::move(obj));
    if (args.size() == 1) {
      e->args.push_back(std::move(args[0]));
    } else {
      auto tup = node(ExprKind::Tuple, pos);
      tup->args = std::move(args);
      e->args.push_back(std::move(tup));
    }
    return e;
  }

  ExprPtr parse_subscribed() {
    Pos pos = cur().pos;
    std::vector<ExprPtr> parts;
    if (skip_op(":")) {
      parts.push_back(nullptr);
    } else {
      ExprPtr first = parse_expression(true);
      if (!skip_op(":")) return first;
      parts.push_back(std::move(first));
    }
    if (is_op(":") || is_op("]") || is_op(",")) parts.push_back(nullptr);
    else parts.push_back(parse_expression(true));
    if (skip_op(":")) {
      if (is_op("]") || is_op(",")) parts.push_back(nullptr);
      else parts.push_back(parse_expression(true));
    } else {
      parts.push_back(nullptr);
    }
    auto e = node(ExprKind::Slice, pos);
    e->args = std::move(parts);
    return e;
  }

  // Appends positional args and kwargs after `(`...`)` to e (args[0] is already set).
  void parse_call_args(Expr& e) {
    expect_op("(");
    bool need_comma = false;
    while (!is_op(")")) {
      if (need_comma) {
        expect_op(",");
        if (is_op(")")) break;
      }
      if (is_op("*") || is_op("**")) fail(cur().pos, "unsupported: *args / **kwargs in calls");
      if (cur().type == Tok::Name && look().type == Tok::Op && look().text == "=") {
        std::string key = cur().text;
        advance();
        advance();
        e.kwargs.emplace_back(key, parse_expression(true));
      } else {
        if (!e.kwargs.empty()) fail(cur().pos, "positional argument follows keyword argument");
        e.args.push_back(parse_expression(true));
      }
      need_comma = true;
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    DepthGuard guard(*this);
    auto e = node(ExprKind::Call, cur().pos);
    e->args.push_back(std::move(callee));
    parse_call_args(*e);
    return e;
  }

  // `| name(args)` chains; operand null for {% filter %} / {% set x | f %} blocks, whose
  // chains start with the first name (start_inline) or with a pipe.
  ExprPtr parse_filter(ExprPtr operand, bool start_inline) {
    DepthGuard guard(*this);
    while (is_op("|") || start_inline) {
      if (!start_inline) advance();
      start_inline = false;
      Pos pos = cur().pos;
      std::string name = expect_name();
      if (is_op(".")) fail(pos, "unsupported: dotted filter names");
      if (!is_known_filter(name)) fail(pos, "unsupported filter '" + name + "'");
      auto e = node(ExprKind::Filter, pos);
      e->name = name;
      e->args.push_back(std::move(operand));
      if (is_op("(")) parse_call_args(*e);
      operand = std::move(e);
    }
    return operand;
  }

  ExprPtr parse_test(ExprPtr operand) {
    DepthGuard guard(*this);
    Pos pos = cur().pos;
    advance();  // is
    bool negated = skip_name("not");
    Pos name_pos = cur().pos;
    std::string name = expect_name();
    if (is_op(".")) fail(name_pos, "unsupported: dotted test names");
    if (!is_known_test(name)) fail(name_pos, "unsupported test '" + name + "'");
    auto e = node(ExprKind::Test, pos);
    e->name = name;
    e->args.push_back(std::move(operand));
    if (is_op("(")) {
      parse_call_args(*e);
    } else if ((cur().type == Tok::Name || cur().type == Tok::String || cur().type == Tok::Int ||
                cur().type == Tok::Float || is_op("(") || is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) fail(cur().pos, "you cannot chain multiple tests with 'is'");
      e->args.push_back(parse_postfix(parse_primary()));
    }
    if (!negated) return e;
    auto n = node(ExprKind::Unary, pos);
    n->name = "not";
    n->args.push_back(std::move(e));
    return n;
  }

  const std::vector<Token>& t_;
  std::size_t i_ = 0;
  int depth_ = 0;
  int max_depth_;
  int loop_depth_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens, int max_depth) { return Parser(tokens, max_depth).parse_template(); }

}  // namespace tern::chat
