// Helpers for the GGUF tests: a byte-level builder for hand-made (often malformed) files, a
// per-test temporary directory, Value factories and a deep Value comparison.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>


#include "platform/environment.h"
#include "gguf/gguf_file.h"

namespace tern::gguf::test {

// Little-endian byte sink with GGUF's primitive encodings.
struct Bytes {
  std::vector<uint8_t> b;
  Bytes& raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
    return *this;
  }
  Bytes& u8(uint8_t v) { return raw(&v, 1); }
  Bytes& u32(uint32_t v) { return raw(&v, 4); }
  Bytes& u64(uint64_t v) { return raw(&v, 8); }
  Bytes& str(std::string_view s) { return u64(s.size()).raw(s.data(), s.size()); }
  Bytes& append(const Bytes& o) { return raw(o.b.data(), o.b.size()); }
  void pad_to(uint64_t alignment) {
    while (b.size() % alignment != 0) b.push_back(0);
  }
  size_t size() const { return b.size(); }
};

// One encoded metadata entry: key, u32 type, value bytes.
inline Bytes kv(std::string_view key, ValueType type, const Bytes& value) {
  Bytes out;
  out.str(key).u32(static_cast<uint32_t>(type)).append(value);
  return out;
}
inline Bytes kv_u32(std::string_view key, uint32_t v) { return kv(key, ValueType::U32, Bytes().u32(v)); }
inline Bytes kv_str(std::string_view key, std::string_view v) { return kv(key, ValueType::STRING, Bytes().str(v)); }

struct RawTensor {
  std::string name;
  std::vector<uint64_t> dims;
  uint32_t type = 0;
  uint64_t offset = 0;
};
inline Bytes tensor_info(const RawTensor& t) {
  Bytes out;
  out.str(t.name).u32(static_cast<uint32_t>(t.dims.size()));
  for (uint64_t d : t.dims) out.u64(d);
  out.u32(t.type).u64(t.offset);
  return out;
}

// A GGUF image assembled from parts; counts default to the number of parts given.
struct RawFile {
  uint32_t version = 3;
  std::vector<Bytes> kvs;
  std::vector<Bytes> tensors;  // encoded tensor infos
  int64_t n_kv = -1;           // override the count (-1: kvs.size())
  int64_t n_tensors = -1;
  uint64_t alignment = 32;
  uint64_t data_bytes = 0;     // zero bytes appended after the padded header

  std::vector<uint8_t> encode() const {
    Bytes out;
    out.raw("GGUF", 4).u32(version);
    out.u64(n_tensors >= 0 ? uint64_t(n_tensors) : tensors.size());
    out.u64(n_kv >= 0 ? uint64_t(n_kv) : kvs.size());
    for (const Bytes& k : kvs) out.append(k);
    for (const Bytes& t : tensors) out.append(t);
    out.pad_to(alignment);
    out.b.resize(out.b.size() + data_bytes, 0);
    return out.b;
  }
};

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    path_ = std::filesystem::temp_directory_path() / ("tern_gguf_test_" + std::to_string(tern::process_id()) + "_" + name);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const std::string p = file(name);
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return p;
  }

 private:
  std::filesystem::path path_;
};

inline std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---- Value factories -------------------------------------------------------------------
inline Value make_uint(ValueType t, uint64_t v) {
  Value x;
  x.type = t;
  x.u = v;
  return x;
}
inline Value make_int(ValueType t, int64_t v) {
  Value x;
  x.type = t;
  x.i = v;
  return x;
}
inline Value make_float(ValueType t, double v) {
  Value x;
  x.type = t;
  x.f = v;
  return x;
}
inline Value make_string(std::string_view s) {
  Value x;
  x.type = ValueType::STRING;
  x.str = s;
  return x;
}
inline Value make_array(ValueType elem, std::vector<Value> items) {
  Value x;
  x.type = ValueType::ARRAY;
  x.elem_type = elem;
  x.items = std::move(items);
  return x;
}

// Deep equality of two values; on mismatch adds a failure naming `where`.
inline void expect_same_value(const Value& a, const Value& b, const std::string& where) {
  ASSERT_EQ(a.type, b.type) << where;
  switch (a.type) {
    case ValueType::U8: case ValueType::U16: case ValueType::U32: case ValueType::U64: case ValueType::BOOL:
      EXPECT_EQ(a.u, b.u) << where;
      break;
    case ValueType::I8: case ValueType::I16: case ValueType::I32: case ValueType::I64:
      EXPECT_EQ(a.i, b.i) << where;
      break;
    case ValueType::F32: case ValueType::F64:
      EXPECT_EQ(std::memcmp(&a.f, &b.f, sizeof a.f), 0) << where << ": " << a.f << " vs " << b.f;
      break;
    case ValueType::STRING:
      EXPECT_EQ(a.str, b.str) << where;
      break;
    case ValueType::ARRAY:
      ASSERT_EQ(a.elem_type, b.elem_type) << where;
      ASSERT_EQ(a.items.size(), b.items.size()) << where;
      for (size_t i = 0; i < a.items.size(); ++i) {
        expect_same_value(a.items[i], b.items[i], where + "[" + std::to_string(i) + "]");
      }
      break;
  }
}

}  // namespace tern::gguf::test
