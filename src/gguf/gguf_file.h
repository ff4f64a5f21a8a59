// GGUF v3 reader: maps the file, validates every count, length, type, offset and size
// once at open, then hands out zero-copy views. Nothing after open() re-checks bounds.
//
// Accepted: GGUF v3 and v2 (same layout), little-endian. Rejected with a message naming the
// file, the field and the problem: v1 and big-endian files, truncation anywhere, counts or
// string lengths the file cannot hold, unknown value / element / tensor types, arrays nested
// deeper than kMaxArrayDepth or with more than kMaxArrayElements elements in total, bool bytes
// other than 0/1, empty or duplicate keys and tensor names, a general.alignment that is not a
// non-zero power of two (at most 2^30), n_dims over 4 (0 is a scalar, read as [1] like
// ggml), zero dims, element counts over 2^63-1, offsets not aligned, tensor data outside the
// data section, overlapping tensors.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_types.h"
#include "platform/mapped_file.h"

namespace tern::gguf {

enum class ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
const char* value_type_name(ValueType t);

// Limits that keep a hostile file from costing more memory or time than its size allows.
inline constexpr int kMaxArrayDepth = 8;                     // array of array of ... (8 levels)
inline constexpr uint64_t kMaxArrayElements = uint64_t{1} << 23;  // all arrays of one file, total

// A metadata value. Strings are views into the mapping; arrays hold their elements.
struct Value {
  ValueType type = ValueType::U8;
  uint64_t u = 0;           // unsigned integers and bool
  int64_t i = 0;            // signed integers
  double f = 0;             // F32 / F64
  std::string_view str;     // STRING
  ValueType elem_type = ValueType::U8;  // ARRAY: element type
  std::vector<Value> items;             // ARRAY: elements (may themselves be arrays)

  bool is_integer() const;
  bool is_number() const;
};

struct KeyValue {
  std::string key;
  Value value;
};

struct TensorInfo {
  std::string name;
  TensorType type;
  std::vector<uint64_t> dims;  // ggml order: dims[0] is the row length
  uint64_t offset = 0;         // relative to the data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // view into the mapping

  uint64_t n_elements() const;
  uint64_t rows() const;  // product of dims[1..]
};

class File {
 public:
  // Maps and validates `path`. Throws tern::Error "<path>: <field>: <what is wrong>".
  static File open(const std::string& path);
  // Validates an in-memory image (fuzzing, tests). `name` prefixes error messages. The
  // bytes must outlive the File.
  static File parse(std::span<const uint8_t> bytes, const std::string& name);

  const std::string& path() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return bytes_.size(); }
  // Bytes from data_offset() to the end of the file (0 if the header fills the file).
  uint64_t data_size() const { return data_offset_ < bytes_.size() ? bytes_.size() - data_offset_ : 0; }
  // The whole image (header and data).
  std::span<const uint8_t> bytes() const { return bytes_; }

  const std::vector<KeyValue>& metadata() const { return kvs_; }
  const Value* find(std::string_view key) const;

  // Typed lookups; missing or wrong-typed keys throw, naming the file and the key.
  std::string_view get_string(std::string_view key) const;
  uint64_t get_uint(std::string_view key) const;  // any non-negative integer type
  double get_float(std::string_view key) const;   // any numeric type
  bool get_bool(std::string_view key) const;
  std::optional<uint64_t> get_uint_opt(std::string_view key) const;
  std::optional<double> get_float_opt(std::string_view key) const;
  std::optional<std::string_view> get_string_opt(std::string_view key) const;
  std::optional<bool> get_bool_opt(std::string_view key) const;
  // String array (e.g. tokenizer.ggml.tokens); throws if not an array of strings.
  std::vector<std::string_view> get_string_array(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;
  const TensorInfo& tensor(std::string_view name) const;  // throws naming file and tensor

  // Drops a tensor's pages from the resident set once its bytes have been copied (see
  // MappedFile::release_pages); does nothing for a file parsed from memory.
  void release_pages(const TensorInfo& t) const;
  // The same for any byte range inside the mapping (e.g. the part of a tensor already copied).
  void release_pages(const uint8_t* begin, uint64_t size) const;
  // MappedFile::map_huge on a range of the mapping; nothing for a file parsed from memory.
  MappedFile::HugeMapping map_huge(const uint8_t* begin, uint64_t size) const;

  // Error helper: "<path>: <field>: <message>".
  [[noreturn]] void fail(std::string_view field, const std::string& message) const;

 private:
  template <class T>
  T required(std::string_view key, std::optional<T> v) const;  // *v, or fails naming the key
  std::shared_ptr<MappedFile> map_;  // null when parsed from memory
  std::span<const uint8_t> bytes_;
  std::string name_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kvs_;
  std::vector<TensorInfo> tensors_;
  friend class Parser;
};

}  // namespace tern::gguf
