// Tokenizer: validates the vocab, builds the tables, splits on special tokens and hands each
// stretch of plain text to the model kind's encoder.
#include <algorithm>

#include "tern/error.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace tern::tok {

const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

void Tokenizer::Impl::check_id(int32_t id) const {
  if (id < 0 || id >= n_vocab)
    throw Error(vocab.source + ": token id " + std::to_string(id) + " is outside the vocab [0, " +
                std::to_string(n_vocab) + ")");
}

namespace {

void validate(const Vocab& v) {
  const std::string& src = v.source;
  if (v.tokens.empty()) throw Error(src + ": tokens: the vocab is empty");
  if (v.tokens.size() > static_cast<size_t>(INT32_MAX))
    throw Error(src + ": tokens: too many tokens (" + std::to_string(v.tokens.size()) + ")");
  if (!v.types.empty() && v.types.size() != v.tokens.size())
    throw Error(src + ": token_type: " + std::to_string(v.types.size()) + " types for " +
                std::to_string(v.tokens.size()) + " tokens");
  for (TokenType t : v.types)
    if (static_cast<int32_t>(t) < 0 || static_cast<int32_t>(t) > 6)
      throw Error(src + ": token_type: unknown token type " + std::to_string(static_cast<int32_t>(t)));
  auto check_special = [&](int32_t id, const char* what) {
    if (id < -1 || id >= static_cast<int64_t>(v.tokens.size()))
      throw Error(src + ": " + what + " token id " + std::to_string(id) + " is outside the vocab [0, " +
                  std::to_string(v.tokens.size()) + ")");
  };
  check_special(v.bos, "bos");
  check_special(v.eos, "eos");
  check_special(v.eot, "eot");
  check_special(v.pad, "padding");
  check_special(v.unk, "unknown");
}

}  // namespace

Tokenizer::Tokenizer(Vocab vocab) {
  validate(vocab);
  auto impl = std::make_shared<Impl>();
  impl->vocab = std::move(vocab);
  Impl& m = *impl;
  const Vocab& v = m.vocab;
  m.n_vocab = static_cast<int32_t>(v.tokens.size());
  m.byte_token.fill(-1);
  m.token_to_id.reserve(v.tokens.size());
  for (size_t id = 0; id < v.tokens.size(); ++id) m.token_to_id.insert(v.tokens[id], static_cast<int32_t>(id));

  if (v.kind == ModelKind::kByteLevelBpe)
    build_byte_level_tables(m);
  else
    build_sentencepiece_tables(m);

  // Special tokens: what parse_special recognises in text.
  for (int32_t id = 0; id < m.n_vocab; ++id) {
    TokenType t = m.type(id);
    if (t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown)
      m.specials.add(v.tokens[static_cast<size_t>(id)], id);
  }
  // End-of-generation tokens: EOS, EOT and the usual end markers by name.
  m.eog.assign(static_cast<size_t>(m.n_vocab), 0);
  for (int32_t id : {v.eos, v.eot})
    if (id >= 0) m.eog[static_cast<size_t>(id)] = 1;
  for (const char* name : {"<|end_of_text|>", "<|eot_id|>", "<|eom_id|>", "</s>", "<|im_end|>", "<end_of_turn>", "<|endoftext|>"}) {
    int32_t id = m.token_to_id.find(name);
    if (id >= 0 && m.type(id) == TokenType::kControl) m.eog[static_cast<size_t>(id)] = 1;
  }
  impl_ = std::move(impl);
}

namespace {

// The special tokens found in text[from, to): leftmost first, the longest at a position, and
// none reaching past `to` (so a token is never pieced together across a range's edge).
void find_specials(const SpecialMatcher& specials, std::string_view text, size_t from, size_t to,
                   std::vector<SpecialMatcher::Match>& out) {
  const std::string_view head = text.substr(0, to);
  for (size_t pos = from; pos < to;) {
    SpecialMatcher::Match s = specials.find(head, pos);
    if (s.len == 0) break;
    out.push_back(s);
    pos = s.pos + s.len;
  }
}

// Text -> ids given where its special tokens are (sorted, disjoint): each stretch between
// them goes whole to the model kind's encoder.
std::vector<int32_t> encode_around(const Tokenizer::Impl& m, std::string_view text, bool add_bos,
                                   const std::vector<SpecialMatcher::Match>& specials) {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_bos && m.vocab.bos >= 0) out.push_back(m.vocab.bos);
  auto encode_plain = [&](std::string_view part, bool at_text_start) {
    if (part.empty()) return;
    if (m.vocab.kind == ModelKind::kByteLevelBpe)
      encode_byte_level(m, part, out);
    else
      encode_sentencepiece(m, part, m.vocab.add_space_prefix && at_text_start, out);
  };
  size_t pos = 0;
  for (const SpecialMatcher::Match& s : specials) {
    encode_plain(text.substr(pos, s.pos - pos), pos == 0);
    out.push_back(s.id);
    pos = s.pos + s.len;
  }
  encode_plain(text.substr(pos), pos == 0);
  return out;
}

}  // namespace

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  std::vector<SpecialMatcher::Match> specials;
  if (parse_special) find_specials(impl_->specials, text, 0, text.size(), specials);
  return encode_around(*impl_, text, add_bos, specials);
}

std::vector<int32_t> Tokenizer::encode_marked(std::string_view text, std::span<const TextSpan> literal,
                                              bool add_bos) const {
  // Special tokens are looked for only in the gaps between the literal ranges.
  std::vector<SpecialMatcher::Match> specials;
  size_t gap = 0;
  for (const TextSpan& r : literal) {
    if (r.begin < gap || r.end < r.begin || r.end > text.size())
      throw Error(impl_->vocab.source + ": encode_marked: literal range [" + std::to_string(r.begin) + ", " +
                  std::to_string(r.end) + ") is not sorted, disjoint and inside the " + std::to_string(text.size()) +
                  "-byte text");
    find_specials(impl_->specials, text, gap, r.begin, specials);
    gap = r.end;
  }
  find_specials(impl_->specials, text, gap, text.size(), specials);
  return encode_around(*impl_, text, add_bos, specials);
}

void append_token_bytes(const Tokenizer::Impl& m, int32_t id, Special special, bool& at_start, std::string& out) {
  m.check_id(id);
  TokenType t = m.type(id);
  const std::string& piece = m.piece[static_cast<size_t>(id)];
  if (t == TokenType::kControl) {
    // Control tokens neither end sentencepiece's "start of text" nor get a space dropped.
    if (special == Special::kRender) out += piece;
    return;
  }
  if (m.vocab.kind == ModelKind::kSentencePiece && at_start) {
    at_start = false;
    if (m.vocab.add_space_prefix && t != TokenType::kUnknown && t != TokenType::kByte && !piece.empty() &&
        piece[0] == ' ') {
      out.append(piece, 1);
      return;
    }
  }
  out += piece;
}

std::string Tokenizer::decode_bytes(std::span<const int32_t> ids, Special special) const {
  std::string out;
  bool at_start = true;
  for (int32_t id : ids) append_token_bytes(*impl_, id, special, at_start, out);
  return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, Special special) const {
  Utf8Repair mode = impl_->vocab.kind == ModelKind::kSentencePiece ? Utf8Repair::kPerByte : Utf8Repair::kMaximalSubpart;
  return repair_utf8(decode_bytes(ids, special), mode);
}

std::string Tokenizer::token_to_piece(int32_t id) const {
  impl_->check_id(id);
  return impl_->piece[static_cast<size_t>(id)];
}

const std::string& Tokenizer::token_text(int32_t id) const {
  impl_->check_id(id);
  return impl_->vocab.tokens[static_cast<size_t>(id)];
}

std::optional<int32_t> Tokenizer::token_id(std::string_view text) const {
  int32_t id = impl_->token_to_id.find(text);
  if (id < 0) return std::nullopt;
  return id;
}

int32_t Tokenizer::n_vocab() const { return impl_->n_vocab; }
ModelKind Tokenizer::kind() const { return impl_->vocab.kind; }
int32_t Tokenizer::bos() const { return impl_->vocab.bos; }
int32_t Tokenizer::eos() const { return impl_->vocab.eos; }
int32_t Tokenizer::eot() const { return impl_->vocab.eot; }
bool Tokenizer::add_bos() const { return impl_->vocab.add_bos; }
const Vocab& Tokenizer::vocab() const { return impl_->vocab; }

TokenType Tokenizer::type(int32_t id) const {
  impl_->check_id(id);
  return impl_->type(id);
}

bool Tokenizer::is_control(int32_t id) const { return type(id) == TokenType::kControl; }

bool Tokenizer::is_eog(int32_t id) const {
  return id >= 0 && id < impl_->n_vocab && impl_->eog[static_cast<size_t>(id)] != 0;
}

// ---- streaming ------------------------------------------------------------------------

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, Special special) : tokenizer_(&tokenizer), special_(special) {}

std::string StreamDecoder::push(int32_t id) {
  const auto& m = tokenizer_->impl();
  std::string bytes = held_;
  append_token_bytes(m, id, special_, at_start_, bytes);
  Utf8Repairer r(m.vocab.kind == ModelKind::kSentencePiece ? Utf8Repair::kPerByte : Utf8Repair::kMaximalSubpart);
  std::string out;
  r.feed(bytes, out);
  // What the repairer holds back is the tail of `bytes`: an incomplete character.
  held_ = bytes.substr(bytes.size() - r.held());
  return out;
}

std::string StreamDecoder::flush() {
  const auto& m = tokenizer_->impl();
  std::string out = repair_utf8(held_, m.vocab.kind == ModelKind::kSentencePiece ? Utf8Repair::kPerByte
                                                                                 : Utf8Repair::kMaximalSubpart);
  held_.clear();
  at_start_ = true;
  return out;
}

void StreamDecoder::reset() {
  held_.clear();
  at_start_ = true;
}

}  // namespace tern::tok
