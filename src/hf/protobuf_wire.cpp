#include "hf/protobuf_wire.h"

#include <cstring>

#include "tern/error.h"

namespace tern::hf {

void WireReader::fail(const std::string& what) const {
  throw Error(where_ + ": malformed protobuf at byte " + std::to_string(pos_) + ": " + what);
}

uint64_t WireReader::varint() {
  uint64_t out = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= msg_.size()) fail("truncated varint");
    const auto b = static_cast<uint8_t>(msg_[pos_++]);
    out |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return out;
  }
  fail("varint longer than 10 bytes");
}

bool WireReader::next(WireField& f) {
  if (pos_ >= msg_.size()) return false;
  f = WireField{};
  f.offset = pos_;
  const uint64_t key = varint();
  const uint64_t number = key >> 3;
  if (number == 0 || number > 536870911) fail("field number " + std::to_string(number) + " is out of range");
  f.number = static_cast<uint32_t>(number);
  const auto type = static_cast<uint32_t>(key & 7);
  auto fixed = [&](size_t n) {
    if (msg_.size() - pos_ < n) fail("truncated fixed-width field " + std::to_string(f.number));
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(msg_[pos_ + i])) << (8 * i);
    pos_ += n;
    return v;
  };
  switch (type) {
    case 0:
      f.type = WireType::Varint;
      f.varint = varint();
      return true;
    case 1:
      f.type = WireType::Fixed64;
      f.fixed = fixed(8);
      return true;
    case 5:
      f.type = WireType::Fixed32;
      f.fixed = fixed(4);
      return true;
    case 2: {
      f.type = WireType::Bytes;
      const uint64_t len = varint();
      if (len > msg_.size() - pos_) {
        fail("field " + std::to_string(f.number) + " claims " + std::to_string(len) + " bytes, " +
             std::to_string(msg_.size() - pos_) + " remain");
      }
      f.bytes = msg_.substr(pos_, static_cast<size_t>(len));
      pos_ += static_cast<size_t>(len);
      return true;
    }
    default:
      fail("field " + std::to_string(f.number) + " has wire type " + std::to_string(type) +
           " (groups and unknown types are not supported)");
  }
}

float wire_float(const WireField& f) {
  const auto bits = static_cast<uint32_t>(f.fixed);
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace tern::hf
