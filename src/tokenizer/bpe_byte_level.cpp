// Byte-level BPE (GPT-2 / Llama 3): regex pre-tokens, each mapped to byte tokens and merged
// pair by pair, lowest merge rank first (leftmost on ties), as HF tokenizers' BPE does.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <queue>

#include "tern/error.h"
#include "tokenizer/byte_unicode.h"
#include "tokenizer/tokenizer_impl.h"

namespace tern::tok {

namespace {

const Tokenizer::Impl::Merge* find_merge(const Tokenizer::Impl& impl, int32_t left, int32_t right) {
  return impl.merges.find(left, right);
}

// Short words: rescan all pairs after each merge. O(n^2) lookups but no heap, and most
// pre-tokens are a handful of bytes.
void merge_short(const Tokenizer::Impl& impl, std::vector<int32_t>& syms) {
  while (syms.size() > 1) {
    int32_t best_rank = INT32_MAX, best_result = -1;
    size_t best_at = 0;
    for (size_t i = 0; i + 1 < syms.size(); ++i) {
      const auto* m = find_merge(impl, syms[i], syms[i + 1]);
      if (m && m->rank < best_rank) {
        best_rank = m->rank;
        best_result = m->result;
        best_at = i;
      }
    }
    if (best_result < 0) return;
    syms[best_at] = best_result;
    syms.erase(syms.begin() + static_cast<std::ptrdiff_t>(best_at) + 1);
  }
}

// Long words (e.g. 1 MB of one character): a doubly linked list of symbols and a min-heap
// of candidate merges keyed (rank, left position); stale entries are skipped on pop.
// O(n log n), and it merges in exactly the order merge_short does.
void merge_long(const Tokenizer::Impl& impl, std::vector<int32_t>& syms) {
  const size_t n = syms.size();
  std::vector<int32_t> prev(n), next(n);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
  }
  struct Cand {
    int32_t rank, left, right, left_id, right_id, result;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto consider = [&](int32_t left) {
    if (left < 0) return;
    int32_t right = next[static_cast<size_t>(left)];
    if (right < 0) return;
    const auto* m = find_merge(impl, syms[static_cast<size_t>(left)], syms[static_cast<size_t>(right)]);
    if (m) heap.push({m->rank, left, right, syms[static_cast<size_t>(left)], syms[static_cast<size_t>(right)], m->result});
  };
  for (size_t i = 0; i + 1 < n; ++i) consider(static_cast<int32_t>(i));
  std::vector<uint8_t> dead(n, 0);
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    auto l = static_cast<size_t>(c.left), r = static_cast<size_t>(c.right);
    if (dead[l] || dead[r] || next[l] != c.right || syms[l] != c.left_id || syms[r] != c.right_id) continue;
    syms[l] = c.result;
    dead[r] = 1;
    next[l] = next[r];
    if (next[r] >= 0) prev[static_cast<size_t>(next[r])] = c.left;
    consider(prev[l]);
    consider(c.left);
  }
  size_t out = 0;
  for (size_t i = 0; i < n; ++i)
    if (!dead[i]) syms[out++] = syms[i];
  syms.resize(out);
}

void encode_word(const Tokenizer::Impl& impl, std::string_view word, std::vector<int32_t>& out) {
  if (impl.vocab.ignore_merges || word.size() == 1) {
    int32_t id = impl.bytes_to_id.find(word);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  thread_local std::vector<int32_t> syms;
  syms.clear();
  for (char c : word) syms.push_back(impl.byte_token[static_cast<uint8_t>(c)]);
  constexpr size_t kShortWord = 48;
  if (syms.size() <= kShortWord)
    merge_short(impl, syms);
  else
    merge_long(impl, syms);
  out.insert(out.end(), syms.begin(), syms.end());
}

}  // namespace

void build_byte_level_tables(Tokenizer::Impl& impl) {
  const Vocab& v = impl.vocab;
  const auto n = static_cast<size_t>(impl.n_vocab);
  impl.piece.resize(n);
  impl.bytes_to_id.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    TokenType t = impl.type(static_cast<int32_t>(id));
    bool literal = t == TokenType::kControl || t == TokenType::kUserDefined;
    impl.piece[id] = literal ? v.tokens[id] : unicode_token_to_bytes(v.tokens[id]);
  }
  // Keys view impl.piece, which no longer changes.
  for (size_t id = 0; id < n; ++id) {
    TokenType t = impl.type(static_cast<int32_t>(id));
    if (t == TokenType::kControl || t == TokenType::kUserDefined || impl.piece[id].empty()) continue;
    impl.bytes_to_id.insert(impl.piece[id], static_cast<int32_t>(id));
  }
  for (int b = 0; b < 256; ++b) {
    char c = static_cast<char>(b);
    int32_t id = impl.bytes_to_id.find(std::string_view(&c, 1));
    if (id >= 0) {
      impl.byte_token[static_cast<size_t>(b)] = id;
    } else if (v.unk >= 0) {
      impl.byte_token[static_cast<size_t>(b)] = v.unk;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", b);
      throw Error(v.source + ": tokens: byte-level vocab has no token for byte " + hex + " (and no unknown token)");
    }
  }
  impl.merges.reserve(v.merges.size());
  std::string joined;
  for (size_t rank = 0; rank < v.merges.size(); ++rank) {
    const std::string& m = v.merges[rank];
    size_t sp = m.find(' ');
    auto fail = [&](const std::string& what) {
      throw Error(v.source + ": merges[" + std::to_string(rank) + "] '" + m + "': " + what);
    };
    if (sp == std::string::npos || sp == 0 || sp + 1 == m.size()) fail("not of the form 'left right'");
    std::string_view left(m.data(), sp), right(m.data() + sp + 1, m.size() - sp - 1);
    int32_t l = impl.token_to_id.find(left), r = impl.token_to_id.find(right);
    if (l < 0 || r < 0) fail("a side is not in the vocab");
    joined.assign(left);
    joined.append(right);
    int32_t j = impl.token_to_id.find(joined);
    if (j < 0) fail("the merged token is not in the vocab");
    impl.merges.insert(l, r, Tokenizer::Impl::Merge{static_cast<int32_t>(rank), j});
  }
  impl.pretokenizer = std::make_unique<PreTokenizer>(
      v.pretokenizer_regex.empty() ? std::string(kLlama3Pattern) : v.pretokenizer_regex, v.source);
}

std::vector<int32_t> bpe_merge_word(const Tokenizer::Impl& impl, std::string_view word, bool long_path) {
  std::vector<int32_t> syms;
  for (char c : word) syms.push_back(impl.byte_token[static_cast<uint8_t>(c)]);
  if (long_path)
    merge_long(impl, syms);
  else
    merge_short(impl, syms);
  return syms;
}

void encode_byte_level(const Tokenizer::Impl& impl, std::string_view text, std::vector<int32_t>& out) {
  impl.pretokenizer->split(text, [&](std::string_view word) { encode_word(impl, word, out); });
}

}  // namespace tern::tok
