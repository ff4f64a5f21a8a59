#include "hf/sentencepiece_model.h"

#include <unordered_set>

#include "hf/protobuf_wire.h"
#include "tern/error.h"

namespace tern::hf {

namespace {

// Field numbers of sentencepiece_model.proto (sentencepiece 0.1.x, unchanged since).
namespace fld {
constexpr uint32_t kPieces = 1, kTrainerSpec = 2, kNormalizerSpec = 3, kDenormalizerSpec = 5;
constexpr uint32_t kPiece = 1, kScore = 2, kType = 3;
constexpr uint32_t kModelType = 3, kTreatWhitespaceAsSuffix = 24, kByteFallback = 35, kUnkId = 40, kBosId = 41,
                   kEosId = 42, kPadId = 43;
constexpr uint32_t kName = 1, kPrecompiledCharsmap = 2, kAddDummyPrefix = 3, kRemoveExtraWhitespaces = 4,
                   kEscapeWhitespaces = 5;
}  // namespace fld

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw Error(where + ": " + what); }

void expect(const WireField& f, WireType t, const std::string& where) {
  if (f.type != t) fail(where, "unexpected wire type " + std::to_string(static_cast<uint32_t>(f.type)));
}

SpmPiece read_piece(std::string_view msg, const std::string& where) {
  SpmPiece p;
  WireReader r(msg, where);
  WireField f;
  while (r.next(f)) {
    switch (f.number) {
      case fld::kPiece: expect(f, WireType::Bytes, where + ".piece"); p.piece.assign(f.bytes); break;
      case fld::kScore: expect(f, WireType::Fixed32, where + ".score"); p.score = wire_float(f); break;
      case fld::kType:
        expect(f, WireType::Varint, where + ".type");
        if (f.varint < 1 || f.varint > 6) fail(where + ".type", "unknown piece type " + std::to_string(f.varint));
        p.type = static_cast<int32_t>(f.varint);
        break;
      default: break;  // fields this reader does not need
    }
  }
  return p;
}

bool read_bool(const WireField& f, const std::string& where) {
  expect(f, WireType::Varint, where);
  return f.varint != 0;
}

void read_trainer_spec(std::string_view msg, const std::string& file, SpmModel& m) {
  const std::string where = file + ": trainer_spec";
  WireReader r(msg, where);
  WireField f;
  while (r.next(f)) {
    switch (f.number) {
      case fld::kModelType: expect(f, WireType::Varint, where + ".model_type"); m.model_type = wire_int32(f); break;
      case fld::kTreatWhitespaceAsSuffix:
        m.treat_whitespace_as_suffix = read_bool(f, where + ".treat_whitespace_as_suffix");
        break;
      case fld::kByteFallback: m.byte_fallback = read_bool(f, where + ".byte_fallback"); break;
      case fld::kUnkId: expect(f, WireType::Varint, where + ".unk_id"); m.unk_id = wire_int32(f); break;
      case fld::kBosId: expect(f, WireType::Varint, where + ".bos_id"); m.bos_id = wire_int32(f); break;
      case fld::kEosId: expect(f, WireType::Varint, where + ".eos_id"); m.eos_id = wire_int32(f); break;
      case fld::kPadId: expect(f, WireType::Varint, where + ".pad_id"); m.pad_id = wire_int32(f); break;
      default: break;
    }
  }
}

void read_normalizer_spec(std::string_view msg, const std::string& where, SpmModel& m, bool denormalizer) {
  WireReader r(msg, where);
  WireField f;
  while (r.next(f)) {
    if (denormalizer) {
      if (f.number == fld::kPrecompiledCharsmap) {
        expect(f, WireType::Bytes, where + ".precompiled_charsmap");
        m.denormalizer_charsmap_bytes = f.bytes.size();
      }
      continue;
    }
    switch (f.number) {
      case fld::kName: expect(f, WireType::Bytes, where + ".name"); m.normalizer_name.assign(f.bytes); break;
      case fld::kPrecompiledCharsmap:
        expect(f, WireType::Bytes, where + ".precompiled_charsmap");
        m.precompiled_charsmap_bytes = f.bytes.size();
        break;
      case fld::kAddDummyPrefix: m.add_dummy_prefix = read_bool(f, where + ".add_dummy_prefix"); break;
      case fld::kRemoveExtraWhitespaces:
        m.remove_extra_whitespaces = read_bool(f, where + ".remove_extra_whitespaces");
        break;
      case fld::kEscapeWhitespaces: m.escape_whitespaces = read_bool(f, where + ".escape_whitespaces"); break;
      default: break;
    }
  }
}

}  // namespace

SpmModel parse_sentencepiece_model(std::string_view bytes, const std::string& file) {
  SpmModel m;
  WireReader r(bytes, file + ": ModelProto");
  WireField f;
  while (r.next(f)) {
    switch (f.number) {
      case fld::kPieces: {
        const std::string where = file + ": pieces[" + std::to_string(m.pieces.size()) + "]";
        expect(f, WireType::Bytes, where);
        m.pieces.push_back(read_piece(f.bytes, where));
        break;
      }
      case fld::kTrainerSpec: expect(f, WireType::Bytes, file + ": trainer_spec"); read_trainer_spec(f.bytes, file, m); break;
      case fld::kNormalizerSpec:
        expect(f, WireType::Bytes, file + ": normalizer_spec");
        read_normalizer_spec(f.bytes, file + ": normalizer_spec", m, false);
        break;
      case fld::kDenormalizerSpec:
        expect(f, WireType::Bytes, file + ": denormalizer_spec");
        read_normalizer_spec(f.bytes, file + ": denormalizer_spec", m, true);
        break;
      default: break;  // self_test_data and future fields
    }
  }
  if (m.pieces.empty()) fail(file + ": pieces", "the model has no pieces");
  // sentencepiece refuses the same on load: a piece must be non-empty and unique.
  std::unordered_set<std::string_view> seen;
  seen.reserve(m.pieces.size());
  for (size_t i = 0; i < m.pieces.size(); ++i) {
    const std::string where = file + ": pieces[" + std::to_string(i) + "].piece";
    if (m.pieces[i].piece.empty()) fail(where, "empty piece");
    if (!seen.insert(m.pieces[i].piece).second) fail(where, "'" + m.pieces[i].piece + "' appears twice");
  }
  return m;
}

void check_sentencepiece_supported(const SpmModel& m, const std::string& file) {
  auto refuse = [&](const std::string& field, const std::string& what) {
    fail(file + ": " + field, what + " (tern reproduces SentencePiece BPE with identity normalization only)");
  };
  if (m.model_type != 2) {
    const char* names[] = {"?", "UNIGRAM", "BPE", "WORD", "CHAR"};
    const char* name = m.model_type >= 1 && m.model_type <= 4 ? names[m.model_type] : "unknown";
    refuse("trainer_spec.model_type", std::to_string(m.model_type) + " (" + name + ") is not BPE");
  }
  if (m.precompiled_charsmap_bytes != 0) {
    refuse("normalizer_spec.precompiled_charsmap",
           "a normalization table of " + std::to_string(m.precompiled_charsmap_bytes) + " bytes (normalizer '" +
               m.normalizer_name + "') is not supported");
  }
  if (m.remove_extra_whitespaces) refuse("normalizer_spec.remove_extra_whitespaces", "true is not supported");
  if (!m.escape_whitespaces) refuse("normalizer_spec.escape_whitespaces", "false is not supported");
  if (m.treat_whitespace_as_suffix) refuse("trainer_spec.treat_whitespace_as_suffix", "true is not supported");
  if (m.denormalizer_charsmap_bytes != 0) refuse("denormalizer_spec.precompiled_charsmap", "a denormalizer is not supported");
}

}  // namespace tern::hf
