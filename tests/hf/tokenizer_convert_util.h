// Helpers for the tokenizer-conversion tests: protobuf bytes written by hand (independent of
// src/hf/protobuf_wire), the shared golden cases, and the round trip HF folder -> TokenTable
// -> GGUF file -> tern's Tokenizer, which is what `tern convert` + `tern run` do.
#pragma once

#include <cstdint>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "hf/hf_tokenizer.h"
#include "hf/token_table_gguf.h"
#include "hf_test_util.h"
#include "tern/error.h"
#include "tern/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"

namespace tern::hf::test {

// `f` must throw tern::Error whose message contains every one of `parts`.
inline void expect_refusal(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning '" << (parts.empty() ? "" : parts[0]) << "'";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

inline std::string shared(const std::string& rel) { return std::string(TERN_SHARED_DIR) + "/" + rel; }
inline std::string llama2_model_path() { return shared("tokenizers/llama2/tokenizer.model"); }

using tok::test::read_jsonl;  // one JSON-lines reader for every test folder

// ---- protobuf wire format, written by hand ----
inline std::string pb_varint(uint64_t v) {
  std::string out;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    out += static_cast<char>(b);
  } while (v);
  return out;
}
inline std::string pb_key(uint32_t field, uint32_t wire) { return pb_varint((uint64_t{field} << 3) | wire); }
inline std::string pb_int(uint32_t field, int64_t v) { return pb_key(field, 0) + pb_varint(static_cast<uint64_t>(v)); }
inline std::string pb_bytes(uint32_t field, const std::string& b) { return pb_key(field, 2) + pb_varint(b.size()) + b; }
inline std::string pb_float(uint32_t field, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  std::string out = pb_key(field, 5);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xFF);
  return out;
}
// ModelProto.SentencePiece {piece = 1, score = 2, type = 3}.
inline std::string pb_piece(const std::string& piece, float score, int type) {
  return pb_bytes(1, pb_bytes(1, piece) + pb_float(2, score) + pb_int(3, type));
}

// Appends `extra` to every top-level field `field` of a serialized message (for a scalar,
// protobuf's "last value wins" makes this an edit), walking the message independently.
inline std::string pb_append_to_field(const std::string& msg, uint32_t field, const std::string& extra) {
  std::string out;
  size_t p = 0;
  auto varint = [&]() {
    uint64_t v = 0;
    for (int s = 0;; s += 7) {
      const auto b = static_cast<uint8_t>(msg.at(p++));
      v |= static_cast<uint64_t>(b & 0x7F) << s;
      if (!(b & 0x80)) return v;
    }
  };
  while (p < msg.size()) {
    const size_t start = p;
    const uint64_t key = varint();
    const auto wire = static_cast<uint32_t>(key & 7);
    if (wire == 0) {
      varint();
    } else if (wire == 5) {
      p += 4;
    } else if (wire == 1) {
      p += 8;
    } else {
      const uint64_t len = varint();
      const std::string body = msg.substr(p, len);
      p += len;
      if ((key >> 3) == field) {
        out += pb_bytes(field, body + extra);
        continue;
      }
    }
    out += msg.substr(start, p - start);
  }
  return out;
}

// ---- HF folder -> TokenTable -> GGUF -> tern::tok::Tokenizer ----
// Writes the table as the converter does (tensor-less GGUF) and loads it back.
inline tok::Vocab vocab_through_gguf(const TokenTable& t, const std::string& gguf_path) {
  {
    gguf::Writer w(gguf_path);
    w.set_string("general.architecture", "llama");
    write_token_table(w, t);
    w.finish();
  }
  return tok::vocab_from_gguf(gguf::File::open(gguf_path));
}

}  // namespace tern::hf::test
