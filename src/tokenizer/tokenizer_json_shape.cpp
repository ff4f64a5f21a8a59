#include "tokenizer/tokenizer_json_shape.h"

#include <vector>

#include "tern/tokenizer.h"

namespace tern::tok {

namespace {

constexpr const char* kSpaceSymbol = "\xE2\x96\x81";  // "▁" U+2581, SentencePiece's space

const std::string& type_of(const JsonAt& at) {
  at.require_object();
  return at.child("type").as_string();
}

bool flag(const JsonAt& obj, const char* key, bool fallback) {
  auto v = obj.find(key);
  return v ? v->as_bool() : fallback;
}

[[noreturn]] void unsupported(const JsonAt& at, const std::string& what) {
  at.fail(what + " is not implemented by tern's tokenizer; refusing to convert a tokenizer that would split "
                 "differently");
}

// A component and, for "Sequence", its parts in order (nested sequences flattened).
void flatten(const JsonAt& at, const char* list_key, std::vector<JsonAt>& out, int depth = 0) {
  if (type_of(at) != "Sequence") {
    out.push_back(at);
    return;
  }
  if (depth > 4) at.fail("Sequence nested too deeply");
  const JsonAt list = at.child(list_key);
  list.require_array();
  for (size_t i = 0; i < list.value.size(); ++i) flatten(list.at(i), list_key, out, depth + 1);
}

// {"String": s} or {"Regex": r}: the text, and whether it is a regex.
std::pair<std::string, bool> pattern_of(const JsonAt& owner) {
  const JsonAt p = owner.child("pattern");
  p.require_object();
  if (auto s = p.find("String")) return {s->as_string(), false};
  if (auto r = p.find("Regex")) return {r->as_string(), true};
  p.fail("expected {\"String\": ...} or {\"Regex\": ...}");
}

bool is_replace(const JsonAt& at, const std::string& from, const std::string& to) {
  auto [pattern, regex] = pattern_of(at);
  return !regex && pattern == from && at.child("content").as_string() == to;
}

void check_model(const JsonAt& model, TokenizerJsonShape& s, bool& ignore_merges) {
  model.require_object();
  const JsonAt type = model.child("type");
  if (type.as_string() != "BPE") {
    type.fail("unsupported tokenizer model.type '" + type.as_string() + "' (tern implements BPE only)");
  }
  if (auto d = model.find("dropout"); d && d->as_number() != 0.0) unsupported(*d, "BPE dropout");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (auto v = model.find(key); v && !v->as_string().empty()) unsupported(*v, std::string("a ") + key);
  }
  s.byte_fallback = flag(model, "byte_fallback", false);
  ignore_merges = flag(model, "ignore_merges", false);
}

// Returns whether the normalizer prepends "▁" (SentencePiece's dummy prefix); any normalizer
// at all makes the tokenizer SentencePiece-style.
std::optional<bool> check_normalizer(const JsonAt& root) {
  auto n = root.find("normalizer");
  if (!n) return std::nullopt;
  std::vector<JsonAt> parts;
  flatten(*n, "normalizers", parts);
  bool prepend = false, replace = false;
  for (const JsonAt& p : parts) {
    const std::string& t = type_of(p);
    if (t == "Prepend" && !prepend && !replace && p.child("prepend").as_string() == kSpaceSymbol) {
      prepend = true;
    } else if (t == "Replace" && !replace && is_replace(p, " ", kSpaceSymbol)) {
      replace = true;
    } else {
      unsupported(p, "normalizer '" + t + "' (tern supports only SentencePiece's Prepend(\"▁\") + Replace(\" \", \"▁\"))");
    }
  }
  if (!replace) n->fail("a normalizer without Replace(\" \", \"▁\") is not implemented by tern's tokenizer");
  return prepend;
}

// Metaspace: "▁" for spaces, and whether it is prepended. Only the non-splitting form
// (transformers' Llama converter with legacy=false) matches SentencePiece.
bool check_metaspace(const JsonAt& m) {
  if (m.child("replacement").as_string() != kSpaceSymbol) unsupported(m.child("replacement"), "a Metaspace replacement other than \"▁\"");
  auto split = m.find("split");
  if (!split || split->as_bool()) {
    unsupported(split ? *split : m, "a Metaspace that splits on spaces (\"split\": true or absent)");
  }
  if (auto scheme = m.find("prepend_scheme")) {
    const std::string& v = scheme->as_string();
    if (v == "first" || v == "always") return true;
    if (v == "never") return false;
    unsupported(*scheme, "prepend_scheme '" + v + "'");
  }
  return flag(m, "add_prefix_space", true);
}

// The byte-level pre-tokenizers tern knows, by llama.cpp's tokenizer.ggml.pre names.
void check_pre_tokenizer(const JsonAt& root, TokenizerJsonShape& s, bool ignore_merges,
                         const std::optional<bool>& normalizer_prefix) {
  auto pre = root.find("pre_tokenizer");
  if (!pre) {
    if (normalizer_prefix) {
      s.kind = TokenizerJsonKind::SentencePieceBpe;
      s.add_space_prefix = *normalizer_prefix;
      return;
    }
    root.child("pre_tokenizer").fail("no pre-tokenizer and no SentencePiece normalizer: not a tokenizer tern implements");
  }
  std::vector<JsonAt> parts;
  flatten(*pre, "pretokenizers", parts);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) s.pre_tokenizer_summary += ", ";
    s.pre_tokenizer_summary += type_of(parts[i]);
  }
  if (parts.size() > 1) s.pre_tokenizer_summary = "Sequence[" + s.pre_tokenizer_summary + "]";

  if (parts.size() == 1 && type_of(parts[0]) == "Metaspace") {
    if (normalizer_prefix) unsupported(parts[0], "a Metaspace pre-tokenizer after a normalizer");
    s.kind = TokenizerJsonKind::SentencePieceBpe;
    s.add_space_prefix = check_metaspace(parts[0]);
    return;
  }
  if (normalizer_prefix) unsupported(*pre, "a pre-tokenizer after a SentencePiece normalizer");

  s.kind = TokenizerJsonKind::ByteLevelBpe;
  const JsonAt& last = parts.back();
  if (type_of(last) != "ByteLevel") unsupported(last, "pre-tokenizer '" + type_of(last) + "' (" + s.pre_tokenizer_summary + ")");
  if (flag(last, "add_prefix_space", true)) unsupported(last.child("add_prefix_space"), "ByteLevel add_prefix_space true");
  const bool byte_level_regex = flag(last, "use_regex", true);
  if (parts.size() == 1) {
    if (!byte_level_regex) unsupported(last.child("use_regex"), "a ByteLevel pre-tokenizer that does not split (use_regex false)");
    if (ignore_merges) unsupported(root.child("model").child("ignore_merges"), "ignore_merges with the GPT-2 pre-tokenizer");
    s.pre = "gpt-2";
    return;
  }
  const JsonAt& split = parts[0];
  if (parts.size() != 2 || type_of(split) != "Split") {
    unsupported(split, "pre-tokenizer '" + type_of(split) + "' (" + s.pre_tokenizer_summary + ")");
  }
  if (byte_level_regex) unsupported(last.child("use_regex"), "ByteLevel use_regex true after a Split");
  auto [regex, is_regex] = pattern_of(split);
  if (!is_regex || regex != kLlama3Pattern) {
    unsupported(split.child("pattern"), "Split pattern '" + regex +
                                            "' (tern knows the Llama 3 regex as a Split pattern, and GPT-2's inside ByteLevel)");
  }
  if (split.child("behavior").as_string() != "Isolated") unsupported(split.child("behavior"), "Split behavior '" + split.child("behavior").as_string() + "'");
  if (flag(split, "invert", false)) unsupported(split.child("invert"), "Split invert true");
  // llama.cpp: "llama-bpe" = the Llama 3 regex with whole-pre-token vocab lookup first
  // (ignore_merges), "smaug-bpe" = the same regex with merges always applied.
  s.pre = ignore_merges ? "llama-bpe" : "smaug-bpe";
}

void check_decoder(const JsonAt& root, const TokenizerJsonShape& s) {
  const JsonAt dec = root.child("decoder");
  if (dec.is_null()) dec.fail("no decoder: the token strings would not decode to text");
  std::vector<JsonAt> parts;
  flatten(dec, "decoders", parts);
  if (s.kind == TokenizerJsonKind::ByteLevelBpe) {
    if (parts.size() != 1 || type_of(parts[0]) != "ByteLevel") {
      unsupported(parts.size() == 1 ? parts[0] : dec, "decoder '" + type_of(parts[0]) + "' for byte-level BPE (tern: ByteLevel)");
    }
    return;
  }
  // SentencePiece: "▁" -> " ", <0xNN> -> byte, and the dummy prefix's space stripped once.
  bool space = false;
  for (const JsonAt& p : parts) {
    const std::string& t = type_of(p);
    if (t == "Replace" && is_replace(p, kSpaceSymbol, " ")) {
      space = true;
    } else if (t == "ByteFallback" || t == "Fuse") {
    } else if (t == "Strip") {
      const bool matches = p.child("content").as_string() == " " && p.child("start").as_int(0, 1 << 20) == (s.add_space_prefix ? 1 : 0) &&
                           p.child("stop").as_int(0, 1 << 20) == 0;
      if (!matches) unsupported(p, "this Strip decoder");
    } else if (t == "Metaspace") {
      if (check_metaspace(p) != s.add_space_prefix) unsupported(p, "a Metaspace decoder whose prefix rule differs from the encoder's");
      space = true;
    } else {
      unsupported(p, "decoder '" + t + "' for SentencePiece-style BPE");
    }
  }
  if (!space) dec.fail("the decoder never turns \"▁\" back into a space: not a SentencePiece decoder tern implements");
}

// TemplateProcessing "single": [special]? $A [special]? (the BOS / EOS the tokenizer adds).
void check_template(const JsonAt& tp, TokenizerJsonShape& s) {
  const JsonAt single = tp.child("single");
  single.require_array();
  bool seen_a = false;
  for (size_t i = 0; i < single.value.size(); ++i) {
    const JsonAt item = single.at(i);
    item.require_object();
    if (auto seq = item.find("Sequence")) {
      if (seen_a || seq->child("id").as_string() != "A") unsupported(item, "a template other than [special] $A [special]");
      seen_a = true;
    } else if (auto sp = item.find("SpecialToken")) {
      std::optional<std::string>& slot = seen_a ? s.template_eos : s.template_bos;
      if (slot) unsupported(item, "two special tokens on one side of $A");
      slot = sp->child("id").as_string();
    } else {
      unsupported(item, "template piece");
    }
  }
  if (!seen_a) single.fail("the template has no $A");
  s.has_template = true;
}

void check_post_processor(const JsonAt& root, TokenizerJsonShape& s) {
  auto post = root.find("post_processor");
  if (!post) return;
  std::vector<JsonAt> parts;
  flatten(*post, "processors", parts);
  for (const JsonAt& p : parts) {
    const std::string& t = type_of(p);
    if (t == "ByteLevel") continue;  // only adjusts offsets
    if (t == "TemplateProcessing" && !s.has_template) {
      check_template(p, s);
      continue;
    }
    unsupported(p, "post-processor '" + t + "'");
  }
}

}  // namespace

TokenizerJsonShape classify_tokenizer_json(const JsonAt& root) {
  root.require_object();
  TokenizerJsonShape s;
  bool ignore_merges = false;
  check_model(root.child("model"), s, ignore_merges);
  const std::optional<bool> normalizer_prefix = check_normalizer(root);
  check_pre_tokenizer(root, s, ignore_merges, normalizer_prefix);
  if (s.kind == TokenizerJsonKind::ByteLevelBpe && s.byte_fallback) {
    unsupported(root.child("model").child("byte_fallback"), "byte_fallback in a byte-level BPE");
  }
  if (s.kind == TokenizerJsonKind::SentencePieceBpe && ignore_merges) {
    unsupported(root.child("model").child("ignore_merges"), "ignore_merges in a SentencePiece-style BPE");
  }
  check_decoder(root, s);
  check_post_processor(root, s);
  return s;
}

}  // namespace tern::tok
