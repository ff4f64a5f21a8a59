// Python's str.replace / split / rsplit / splitlines (see py_str.h).
#include "chat/py_str.h"

#include "chat/builtin_call.h"
#include "chat/evaluator.h"
#include "chat/unicode.h"

namespace tern::chat {

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

}  // namespace tern::chat
