// The protobuf wire format, read one field at a time: enough to walk a SentencePiece
// ModelProto without libprotobuf (tokenizer.model is the only protobuf tern reads).
// Malformed input throws tern::Error naming `where` (file and message path) and the offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::hf {

enum class WireType : uint32_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

struct WireField {
  uint32_t number = 0;
  WireType type = WireType::Varint;
  uint64_t varint = 0;     // Varint
  uint64_t fixed = 0;      // Fixed64 / Fixed32 (little endian, zero-extended)
  std::string_view bytes;  // Bytes: a string, bytes or an embedded message
  size_t offset = 0;       // where the field's key starts in the message
};

class WireReader {
 public:
  WireReader(std::string_view message, std::string where) : msg_(message), where_(std::move(where)) {}
  // Reads the next field into `f`; false at the end of the message. Groups (wire types 3
  // and 4, deprecated since proto2) are refused like any other malformed input.
  bool next(WireField& f);

 private:
  uint64_t varint();
  [[noreturn]] void fail(const std::string& what) const;
  std::string_view msg_;
  std::string where_;
  size_t pos_ = 0;
};

// Field values as proto2 scalar types (an int32 of -1 arrives as a 10-byte varint).
inline int32_t wire_int32(const WireField& f) { return static_cast<int32_t>(static_cast<int64_t>(f.varint)); }
float wire_float(const WireField& f);

}  // namespace tern::hf
