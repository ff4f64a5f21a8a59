// Vocab from a SentencePiece tokenizer.model, read through libsentencepiece (pieces, scores,
// types, special ids). The few ModelProto fields the library does not expose (model type,
// normalizer name, add_dummy_prefix, remove_extra_whitespaces) are read from its serialized
// proto with a minimal protobuf wire-format scan.
#include "tern/error.h"
#include "tern/tokenizer.h"

#ifdef TERN_HAVE_SENTENCEPIECE
#include <sentencepiece_processor.h>
#endif

namespace tern::tok {

bool sentencepiece_available() {
#ifdef TERN_HAVE_SENTENCEPIECE
  return true;
#else
  return false;
#endif
}

#ifdef TERN_HAVE_SENTENCEPIECE
namespace {

// A protobuf field of a message: varint value or length-delimited bytes.
struct ProtoField {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

// Calls f(field) for each top-level field of `msg`; returns false on malformed input.
template <class F>
bool scan_proto(std::string_view msg, F&& f) {
  size_t p = 0;
  auto read_varint = [&](uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= msg.size()) return false;
      auto b = static_cast<uint8_t>(msg[p++]);
      out |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  while (p < msg.size()) {
    uint64_t key = 0;
    if (!read_varint(key)) return false;
    ProtoField fld;
    fld.number = static_cast<uint32_t>(key >> 3);
    fld.wire = static_cast<uint32_t>(key & 7);
    if (fld.wire == 0) {
      if (!read_varint(fld.varint)) return false;
    } else if (fld.wire == 1 || fld.wire == 5) {
      size_t n = fld.wire == 1 ? 8 : 4;
      if (msg.size() - p < n) return false;
      p += n;
    } else if (fld.wire == 2) {
      uint64_t len = 0;
      if (!read_varint(len) || len > msg.size() - p) return false;
      fld.bytes = msg.substr(p, len);
      p += len;
    } else {
      return false;
    }
    f(fld);
  }
  return true;
}

}  // namespace
#endif

Vocab vocab_from_sentencepiece(const std::string& model_path) {
#ifndef TERN_HAVE_SENTENCEPIECE
  throw Error(model_path + ": this tern was built without libsentencepiece (install libsentencepiece-dev and "
                           "rebuild), so SentencePiece tokenizer.model files cannot be read");
#else
  sentencepiece::SentencePieceProcessor sp;
  auto status = sp.Load(model_path);
  if (!status.ok()) throw Error(model_path + ": sentencepiece cannot load it: " + status.ToString());

  // ModelProto: 2 = trainer_spec (3 = model_type, default UNIGRAM = 1; BPE = 2),
  // 3 = normalizer_spec (1 = name, 3 = add_dummy_prefix default true,
  // 4 = remove_extra_whitespaces default true).
  const std::string proto = sp.serialized_model_proto();
  uint64_t model_type = 1;
  std::string normalizer = "nmt_nfkc";
  bool add_dummy_prefix = true, remove_extra_ws = true;
  bool ok = scan_proto(proto, [&](const ProtoField& f) {
    if (f.number == 2 && f.wire == 2)
      scan_proto(f.bytes, [&](const ProtoField& g) {
        if (g.number == 3 && g.wire == 0) model_type = g.varint;
      });
    if (f.number == 3 && f.wire == 2)
      scan_proto(f.bytes, [&](const ProtoField& g) {
        if (g.number == 1 && g.wire == 2) normalizer.assign(g.bytes);
        if (g.number == 3 && g.wire == 0) add_dummy_prefix = g.varint != 0;
        if (g.number == 4 && g.wire == 0) remove_extra_ws = g.varint != 0;
      });
  });
  if (!ok) throw Error(model_path + ": ModelProto: malformed protobuf");
  if (model_type != 2)
    throw Error(model_path + ": trainer_spec.model_type: " + std::to_string(model_type) +
                " is not BPE (2); only SentencePiece BPE models are supported");
  if (normalizer != "identity")
    throw Error(model_path + ": normalizer_spec.name: '" + normalizer + "' is not supported (identity only)");
  if (remove_extra_ws)
    throw Error(model_path + ": normalizer_spec.remove_extra_whitespaces: true is not supported");

  Vocab v;
  v.kind = ModelKind::kSentencePiece;
  v.source = model_path;
  const int n = sp.GetPieceSize();
  v.tokens.reserve(static_cast<size_t>(n));
  v.scores.reserve(static_cast<size_t>(n));
  v.types.reserve(static_cast<size_t>(n));
  for (int id = 0; id < n; ++id) {
    v.tokens.push_back(sp.IdToPiece(id));
    v.scores.push_back(sp.GetScore(id));
    TokenType t = TokenType::kNormal;
    if (sp.IsUnknown(id)) t = TokenType::kUnknown;
    else if (sp.IsControl(id)) t = TokenType::kControl;
    else if (sp.IsByte(id)) t = TokenType::kByte;
    else if (sp.IsUnused(id)) t = TokenType::kUnused;
    v.types.push_back(t);
  }
  v.bos = sp.bos_id();
  v.eos = sp.eos_id();
  v.pad = sp.pad_id();
  v.unk = sp.unk_id();
  v.add_bos = true;
  v.add_space_prefix = add_dummy_prefix;
  return v;
#endif
}

}  // namespace tern::tok
