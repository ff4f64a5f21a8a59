// SentencePiece BPE (Llama 2), as sentencepiece 0.1.x's bpe_model.cc: the normalized text
// ("▁" for spaces, a dummy "▁" in front) is split into characters, then the adjacent pair
// whose concatenation is a piece with the highest score is merged (leftmost on ties) until
// no pair is a piece. Symbols that are not pieces fall back to <0xNN> byte pieces.
#include <queue>

#include "tern/error.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace tern::tok {

namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581 "▁"

// Identity normalization as sentencepiece does it: invalid UTF-8 bytes become U+FFFD (one
// per byte), spaces become "▁", and a "▁" is prepended when asked.
std::string normalize(std::string_view text, bool dummy_prefix) {
  std::string out;
  out.reserve(text.size() + text.size() / 4 + 3);
  if (dummy_prefix) out += kSpaceSymbol;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      out += kSpaceSymbol;
      ++i;
      continue;
    }
    size_t len = valid_utf8_char_len(text.substr(i));
    if (len == 0) {
      append_utf8(out, kReplacementChar);
      ++i;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
  }
  return out;
}

}  // namespace

void build_sentencepiece_tables(Tokenizer::Impl& impl) {
  const Vocab& v = impl.vocab;
  const auto n = static_cast<size_t>(impl.n_vocab);
  if (!v.scores.empty() && v.scores.size() != n)
    throw Error(v.source + ": scores: " + std::to_string(v.scores.size()) + " scores for " + std::to_string(n) + " tokens");
  impl.piece.resize(n);
  impl.byte_token.fill(-1);
  for (size_t id = 0; id < n; ++id) {
    const std::string& t = v.tokens[id];
    switch (impl.type(static_cast<int32_t>(id))) {
      case TokenType::kByte: {
        auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
        int hi = t.size() == 6 ? hex(t[3]) : -1, lo = t.size() == 6 ? hex(t[4]) : -1;
        if (hi < 0 || lo < 0 || t.compare(0, 3, "<0x") != 0 || t[5] != '>')
          throw Error(v.source + ": tokens[" + std::to_string(id) + "] '" + t + "': byte token is not of the form <0xNN>");
        auto b = static_cast<size_t>(hi * 16 + lo);
        impl.piece[id] = std::string(1, static_cast<char>(b));
        if (impl.byte_token[b] < 0) impl.byte_token[b] = static_cast<int32_t>(id);
        break;
      }
      case TokenType::kUnknown:
        impl.piece[id] = " \xE2\x81\x87 ";  // sentencepiece's unk surface " ⁇ "
        break;
      case TokenType::kControl:
        impl.piece[id] = t;
        break;
      default: {
        std::string s;
        s.reserve(t.size());
        for (size_t i = 0; i < t.size();) {
          if (t.compare(i, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
            s += ' ';
            i += kSpaceSymbol.size();
          } else {
            s += t[i++];
          }
        }
        impl.piece[id] = std::move(s);
      }
    }
  }
  impl.spm_mergeable.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    TokenType t = impl.type(static_cast<int32_t>(id));
    if (t == TokenType::kNormal || t == TokenType::kUserDefined || t == TokenType::kUndefined)
      impl.spm_mergeable.insert(v.tokens[id], static_cast<int32_t>(id));
  }
}

void encode_sentencepiece(const Tokenizer::Impl& impl, std::string_view text, bool dummy_prefix,
                          std::vector<int32_t>& out) {
  if (text.empty()) return;
  const std::string norm = normalize(text, dummy_prefix);
  const auto& scores = impl.vocab.scores;
  auto score_of = [&](int32_t id) { return scores.empty() ? 0.0f : scores[static_cast<size_t>(id)]; };

  struct Sym {
    uint32_t start, len;
    int32_t prev, next;
  };
  std::vector<Sym> syms;
  syms.reserve(norm.size());
  for (size_t i = 0; i < norm.size();) {
    size_t len = valid_utf8_char_len(std::string_view(norm).substr(i));  // norm is valid UTF-8
    if (len == 0) len = 1;
    auto idx = static_cast<int32_t>(syms.size());
    syms.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(len), idx - 1, -1});
    if (idx > 0) syms[static_cast<size_t>(idx - 1)].next = idx;
    i += len;
  }

  struct Cand {
    float score;
    int32_t left, right;
    uint32_t len;  // the merged length, to recognise stale entries
    bool operator<(const Cand& o) const { return score != o.score ? score < o.score : left > o.left; }
  };
  std::priority_queue<Cand> heap;
  auto consider = [&](int32_t left) {
    if (left < 0) return;
    int32_t right = syms[static_cast<size_t>(left)].next;
    if (right < 0) return;
    const Sym& l = syms[static_cast<size_t>(left)];
    const Sym& r = syms[static_cast<size_t>(right)];
    std::string_view merged(norm.data() + l.start, l.len + r.len);
    int32_t id = impl.spm_mergeable.find(merged);
    if (id >= 0) heap.push({score_of(id), left, right, l.len + r.len});
  };
  for (size_t i = 0; i + 1 < syms.size(); ++i) consider(static_cast<int32_t>(i));
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    Sym& l = syms[static_cast<size_t>(c.left)];
    if (l.len == 0 || l.next != c.right) continue;
    Sym& r = syms[static_cast<size_t>(c.right)];
    if (r.len == 0 || l.len + r.len != c.len) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) syms[static_cast<size_t>(r.next)].prev = c.left;
    consider(l.prev);
    consider(c.left);
  }

  for (int32_t i = 0; i >= 0 && !syms.empty(); i = syms[static_cast<size_t>(i)].next) {
    const Sym& s = syms[static_cast<size_t>(i)];
    std::string_view piece(norm.data() + s.start, s.len);
    int32_t id = impl.spm_mergeable.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // Byte fallback: each UTF-8 byte as its <0xNN> piece; the unknown token without them.
    bool have_bytes = true;
    for (char ch : piece) have_bytes = have_bytes && impl.byte_token[static_cast<uint8_t>(ch)] >= 0;
    if (have_bytes) {
      for (char ch : piece) out.push_back(impl.byte_token[static_cast<uint8_t>(ch)]);
    } else if (impl.vocab.unk >= 0) {
      out.push_back(impl.vocab.unk);
    } else {
      throw Error(impl.vocab.source + ": cannot encode '" + std::string(piece) +
                  "': not a piece, no byte pieces and no unknown token");
    }
  }
}

}  // namespace tern::tok
