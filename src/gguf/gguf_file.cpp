// GGUF parsing and validation. The layout (all little-endian):
//   "GGUF" u32 version, u64 n_tensors, u64 n_kv,
//   n_kv x (string key, u32 value type, value),
//   n_tensors x (string name, u32 n_dims, u64 dims[n_dims], u32 type, u64 offset),
//   padding to general.alignment, then the data section (tensor offsets are relative to it).
// A string is u64 length + bytes; an array is u32 element type, u64 count, elements.
// Every read goes through Parser::need(), which checks the bounds first; every count is
// checked against the bytes left before anything is allocated for it.
#include "gguf/gguf_file.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>
#include <unordered_set>

#include "tern/error.h"

namespace tern::gguf {

static_assert(std::endian::native == std::endian::little, "tern reads GGUF on little-endian hosts only");

const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::U8: return "u8";
    case ValueType::I8: return "i8";
    case ValueType::U16: return "u16";
    case ValueType::I16: return "i16";
    case ValueType::U32: return "u32";
    case ValueType::I32: return "i32";
    case ValueType::F32: return "f32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::U64: return "u64";
    case ValueType::I64: return "i64";
    case ValueType::F64: return "f64";
  }
  return "unknown";
}

bool Value::is_integer() const {
  switch (type) {
    case ValueType::U8: case ValueType::I8: case ValueType::U16: case ValueType::I16:
    case ValueType::U32: case ValueType::I32: case ValueType::U64: case ValueType::I64:
      return true;
    default:
      return false;
  }
}

bool Value::is_number() const { return is_integer() || type == ValueType::F32 || type == ValueType::F64; }

uint64_t TensorInfo::n_elements() const {
  return std::accumulate(dims.begin(), dims.end(), uint64_t{1}, std::multiplies<>());
}

uint64_t TensorInfo::rows() const {
  return dims.empty() ? 0 : n_elements() / dims[0];
}

namespace {

// Bytes the smallest possible value of type `t` occupies in a file (0 for unknown types).
uint64_t min_encoded_size(uint32_t t) {
  switch (static_cast<ValueType>(t)) {
    case ValueType::U8: case ValueType::I8: case ValueType::BOOL: return 1;
    case ValueType::U16: case ValueType::I16: return 2;
    case ValueType::U32: case ValueType::I32: case ValueType::F32: return 4;
    case ValueType::U64: case ValueType::I64: case ValueType::F64: return 8;
    case ValueType::STRING: return 8;   // u64 length, possibly empty
    case ValueType::ARRAY: return 12;   // u32 element type + u64 count, possibly empty
  }
  return 0;
}

constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 4 + 8;  // name len, 1 char, n_dims, no dim (a scalar), type, offset
constexpr uint64_t kMinKeyValueBytes = 8 + 1 + 4 + 1;            // key len, 1 char, type, 1-byte value
constexpr uint64_t kMaxNameLength = 65535;                       // GGUF spec limit for keys
constexpr uint64_t kMaxAlignment = uint64_t{1} << 30;            // far above any real use (32..4096)

}  // namespace

// Reads one image into a File. Friend of File; lives only for the duration of parse().
class Parser {
 public:
  explicit Parser(File& f) : f_(f), b_(f.bytes_) {}

  void run() {
    read_header();
    read_metadata();
    resolve_alignment();
    read_tensor_infos();
    place_data_section();
    check_tensor_extents();
  }

 private:
  File& f_;
  std::span<const uint8_t> b_;
  uint64_t pos_ = 0;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
  uint64_t array_elements_ = 0;  // running total, bounded by kMaxArrayElements
  // Where array reads are, for messages: the key and the index path into nested arrays.
  std::string_view cur_key_;
  std::vector<uint64_t> index_path_;

  uint64_t left() const { return b_.size() - pos_; }

  std::string key_field() const {
    std::string s = "key '";  // appended step by step: GCC 12's -Wrestrict misfires on "..." + string
    s.append(cur_key_);
    s += '\'';
    for (uint64_t i : index_path_) {
      s += '[';
      s += std::to_string(i);
      s += ']';
    }
    return s;
  }

  // Checks that n more bytes exist at pos_, or fails naming `field` and `what`.
  const uint8_t* need(uint64_t n, const std::string& field, const char* what) {
    if (n > left()) {
      f_.fail(field, std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes at offset " +
                         std::to_string(pos_) + ", but the file has " + std::to_string(b_.size()) + " bytes");
    }
    const uint8_t* p = b_.data() + pos_;
    pos_ += n;
    return p;
  }

  template <class T>
  T read(const std::string& field, const char* what) {
    T v;
    std::memcpy(&v, need(sizeof(T), field, what), sizeof(T));
    return v;
  }

  std::string_view read_string(const std::string& field, const char* what) {
    const uint64_t len = read<uint64_t>(field, what);
    if (len > left()) {
      f_.fail(field, std::string("truncated: ") + what + " length " + std::to_string(len) + " at offset " + std::to_string(pos_ - 8) +
                         " exceeds the " + std::to_string(left()) + " bytes left in the file");
    }
    const uint8_t* p = need(len, field, what);
    return {reinterpret_cast<const char*>(p), static_cast<size_t>(len)};
  }

  void read_header() {
    const std::string field = "header";
    const uint8_t* magic = need(4, field, "magic");
    if (std::memcmp(magic, "GGUF", 4) != 0) {
      std::string shown;
      for (int i = 0; i < 4; ++i) {
        char c = static_cast<char>(magic[i]);
        static const char* hex = "0123456789abcdef";
        if (c >= 0x20 && c < 0x7f) {
          shown += c;
        } else {
          shown += "\\x";
          shown += hex[magic[i] >> 4];
          shown += hex[magic[i] & 15];
        }
      }
      f_.fail(field, "bad magic '" + shown + "' (expected 'GGUF'): not a GGUF file");
    }
    const uint32_t version = read<uint32_t>("version", "the version");
    if (version == 1) f_.fail("version", "GGUF version 1 is not supported (32-bit counts); re-convert the file");
    if (version != 2 && version != 3) {
      const uint32_t swapped = __builtin_bswap32(version);
      if (swapped >= 1 && swapped <= 3) f_.fail("version", "big-endian GGUF files are not supported");
      f_.fail("version", "unsupported GGUF version " + std::to_string(version) + " (tern reads versions 2 and 3)");
    }
    f_.version_ = version;
    n_tensors_ = read<uint64_t>("tensor count", "the tensor count");
    n_kv_ = read<uint64_t>("metadata count", "the metadata count");
    if (n_kv_ > left() / kMinKeyValueBytes) {
      f_.fail("metadata count", "count " + std::to_string(n_kv_) + " cannot fit in the " + std::to_string(left()) +
                                    " bytes after the header");
    }
    if (n_tensors_ > (left() - n_kv_ * kMinKeyValueBytes) / kMinTensorInfoBytes) {
      f_.fail("tensor count", "count " + std::to_string(n_tensors_) + " cannot fit in the " + std::to_string(left()) +
                                  " bytes after the header");
    }
  }

  void read_metadata() {
    f_.kvs_.reserve(n_kv_);
    std::unordered_set<std::string_view> seen;
    for (uint64_t k = 0; k < n_kv_; ++k) {
      const std::string field = "metadata key #" + std::to_string(k);
      const std::string_view key = read_string(field, "the key");
      if (key.empty()) f_.fail(field, "empty key");
      if (key.size() > kMaxNameLength) f_.fail(field, "key of " + std::to_string(key.size()) + " bytes is too long");
      cur_key_ = key;
      index_path_.clear();
      if (!seen.insert(key).second) f_.fail(key_field(), "duplicate key");
      const uint32_t type = read<uint32_t>(key_field(), "the value type");
      Value v = read_value(type, 0);
      f_.kvs_.push_back(KeyValue{std::string(key), std::move(v)});
    }
  }

  Value read_value(uint32_t type, int depth) {
    if (min_encoded_size(type) == 0) f_.fail(key_field(), "unknown value type " + std::to_string(type));
    Value v;
    v.type = static_cast<ValueType>(type);
    switch (v.type) {
      case ValueType::U8: v.u = read<uint8_t>(key_field(), "a u8 value"); break;
      case ValueType::I8: v.i = read<int8_t>(key_field(), "an i8 value"); break;
      case ValueType::U16: v.u = read<uint16_t>(key_field(), "a u16 value"); break;
      case ValueType::I16: v.i = read<int16_t>(key_field(), "an i16 value"); break;
      case ValueType::U32: v.u = read<uint32_t>(key_field(), "a u32 value"); break;
      case ValueType::I32: v.i = read<int32_t>(key_field(), "an i32 value"); break;
      case ValueType::U64: v.u = read<uint64_t>(key_field(), "a u64 value"); break;
      case ValueType::I64: v.i = read<int64_t>(key_field(), "an i64 value"); break;
      case ValueType::F32: v.f = read<float>(key_field(), "an f32 value"); break;
      case ValueType::F64: v.f = read<double>(key_field(), "an f64 value"); break;
      case ValueType::BOOL: {
        const uint8_t b = read<uint8_t>(key_field(), "a bool value");
        if (b > 1) f_.fail(key_field(), "bool value " + std::to_string(b) + " is neither 0 nor 1");
        v.u = b;
        break;
      }
      case ValueType::STRING: v.str = read_string(key_field(), "the string"); break;
      case ValueType::ARRAY: read_array(v, depth + 1); break;
    }
    return v;
  }

  void read_array(Value& v, int depth) {
    if (depth > kMaxArrayDepth) {
      f_.fail(key_field(), "arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
    }
    const uint32_t elem = read<uint32_t>(key_field(), "the array element type");
    const uint64_t elem_size = min_encoded_size(elem);
    if (elem_size == 0) f_.fail(key_field(), "unknown array element type " + std::to_string(elem));
    v.elem_type = static_cast<ValueType>(elem);
    const uint64_t count = read<uint64_t>(key_field(), "the array count");
    if (count > left() / elem_size) {
      f_.fail(key_field(), "array of " + std::to_string(count) + " " + value_type_name(v.elem_type) +
                               " elements cannot fit in the " + std::to_string(left()) + " bytes left in the file");
    }
    if (count > kMaxArrayElements - array_elements_) {
      f_.fail(key_field(), "array of " + std::to_string(count) + " elements exceeds the limit of " +
                               std::to_string(kMaxArrayElements) + " array elements per file");
    }
    array_elements_ += count;
    v.items.reserve(count);
    index_path_.push_back(0);
    for (uint64_t i = 0; i < count; ++i) {
      index_path_.back() = i;
      v.items.push_back(read_value(elem, depth));
    }
    index_path_.pop_back();
  }

  void resolve_alignment() {
    const Value* a = f_.find("general.alignment");
    if (a == nullptr) return;  // default 32
    const std::string field = "key 'general.alignment'";
    uint64_t al = 0;
    if (a->type == ValueType::U8 || a->type == ValueType::U16 || a->type == ValueType::U32 || a->type == ValueType::U64) {
      al = a->u;
    } else if (a->is_integer() && a->i > 0) {
      al = static_cast<uint64_t>(a->i);
    } else {
      f_.fail(field, std::string("must be a positive integer, not ") +
                         (a->is_integer() ? std::to_string(a->i) : value_type_name(a->type)));
    }
    if (al == 0 || !std::has_single_bit(al)) {
      f_.fail(field, "alignment " + std::to_string(al) + " is not a non-zero power of two");
    }
    if (al > kMaxAlignment) {
      f_.fail(field, "alignment " + std::to_string(al) + " is too large (tern accepts up to " +
                         std::to_string(kMaxAlignment) + ")");
    }
    f_.alignment_ = al;
  }

  void read_tensor_infos() {
    f_.tensors_.reserve(n_tensors_);
    std::unordered_set<std::string_view> seen;
    for (uint64_t t = 0; t < n_tensors_; ++t) {
      std::string field = "tensor #" + std::to_string(t);
      const std::string_view name = read_string(field, "the tensor name");
      if (name.empty()) f_.fail(field, "empty tensor name");
      if (name.size() > kMaxNameLength) f_.fail(field, "name of " + std::to_string(name.size()) + " bytes is too long");
      field = "tensor '" + std::string(name) + "'";
      if (!seen.insert(name).second) f_.fail(field, "duplicate tensor name");
      const uint32_t n_dims = read<uint32_t>(field, "n_dims");
      if (n_dims > 4) f_.fail(field, "n_dims " + std::to_string(n_dims) + " is not in 0..4");
      TensorInfo info;
      info.name = std::string(name);
      info.dims.resize(n_dims);
      for (uint32_t d = 0; d < n_dims; ++d) info.dims[d] = read<uint64_t>(field, "a dimension");
      // n_dims 0 is a scalar: ggml's gguf reader sets every dimension it does not read to 1,
      // so a 0-d tensor has ne = [1, 1, 1, 1] (ik_llama.cpp's converter writes its per-tensor
      // `.scale` values this way). Keep it as the one-element vector ggml sees.
      if (n_dims == 0) info.dims.push_back(1);
      const uint32_t type = read<uint32_t>(field, "the tensor type");
      info.offset = read<uint64_t>(field, "the data offset");
      if (!type_traits(type)) f_.fail(field, "unknown tensor type " + std::to_string(type));
      info.type = static_cast<TensorType>(type);
      info.nbytes = tensor_nbytes(info.type, info.dims, f_.name_ + ": " + field);  // throws "<path>: tensor 'x': ..."
      if (info.offset % f_.alignment_ != 0) {
        f_.fail(field, "data offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
                           std::to_string(f_.alignment_));
      }
      f_.tensors_.push_back(std::move(info));
    }
  }

  void place_data_section() {
    const uint64_t header_end = pos_;
    uint64_t start = 0;
    if (__builtin_add_overflow(header_end, f_.alignment_ - 1, &start)) {
      f_.fail("key 'general.alignment'", "alignment " + std::to_string(f_.alignment_) + " is too large");
    }
    start = start / f_.alignment_ * f_.alignment_;
    f_.data_offset_ = start;
    if (start > b_.size() && !f_.tensors_.empty()) {
      f_.fail("data section", "starts at offset " + std::to_string(start) + " (header end " +
                                  std::to_string(header_end) + " rounded up to " + std::to_string(f_.alignment_) +
                                  "), past the end of the file (" + std::to_string(b_.size()) + " bytes)");
    }
  }

  void check_tensor_extents() {
    const uint64_t data_size = f_.data_size();
    for (TensorInfo& t : f_.tensors_) {
      uint64_t end = 0;
      if (__builtin_add_overflow(t.offset, t.nbytes, &end) || end > data_size) {
        f_.fail("tensor '" + t.name + "'", "data offset " + std::to_string(t.offset) + " + size " +
                                               std::to_string(t.nbytes) + " exceeds the data section (" +
                                               std::to_string(data_size) + " bytes)");
      }
      t.data = b_.data() + f_.data_offset_ + t.offset;
    }
    std::vector<const TensorInfo*> by_offset;
    by_offset.reserve(f_.tensors_.size());
    for (const TensorInfo& t : f_.tensors_) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
      const TensorInfo& prev = *by_offset[i - 1];
      const TensorInfo& cur = *by_offset[i];
      if (prev.offset + prev.nbytes > cur.offset) {
        f_.fail("tensor '" + cur.name + "'",
                "data [" + std::to_string(cur.offset) + ", " + std::to_string(cur.offset + cur.nbytes) +
                    ") overlaps tensor '" + prev.name + "' [" + std::to_string(prev.offset) + ", " +
                    std::to_string(prev.offset + prev.nbytes) + ")");
      }
    }
  }
};

File File::open(const std::string& path) {
  auto map = std::make_shared<MappedFile>(path);
  File f = parse(map->bytes(), path);
  f.map_ = std::move(map);
  return f;
}

File File::parse(std::span<const uint8_t> bytes, const std::string& name) {
  File f;
  f.bytes_ = bytes;
  f.name_ = name;
  Parser(f).run();
  return f;
}

void File::release_pages(const TensorInfo& t) const { release_pages(t.data, t.nbytes); }

void File::release_pages(const uint8_t* begin, uint64_t size) const {
  if (map_) map_->release_pages(begin, size);
}

MappedFile::HugeMapping File::map_huge(const uint8_t* begin, uint64_t size) const {
  return map_ ? map_->map_huge(begin, size) : MappedFile::HugeMapping{};
}

void File::fail(std::string_view field, const std::string& message) const {
  throw Error(name_ + ": " + std::string(field) + ": " + message);
}

const Value* File::find(std::string_view key) const {
  for (const KeyValue& kv : kvs_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

namespace {
std::string quoted_key(std::string_view key) {
  std::string s = "key '";
  s.append(key);
  s += '\'';
  return s;
}
}  // namespace

template <class T>
T File::required(std::string_view key, std::optional<T> v) const {
  if (!v) fail(quoted_key(key), "missing");
  return *v;
}

std::optional<uint64_t> File::get_uint_opt(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  switch (v->type) {
    case ValueType::U8: case ValueType::U16: case ValueType::U32: case ValueType::U64:
      return v->u;
    case ValueType::I8: case ValueType::I16: case ValueType::I32: case ValueType::I64:
      if (v->i < 0) fail(quoted_key(key), "expected a non-negative integer, found " + std::to_string(v->i));
      return static_cast<uint64_t>(v->i);
    default:
      fail(quoted_key(key), std::string("expected an integer, found ") + value_type_name(v->type));
  }
}

std::optional<double> File::get_float_opt(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (v->type == ValueType::F32 || v->type == ValueType::F64) return v->f;
  if (v->type == ValueType::U8 || v->type == ValueType::U16 || v->type == ValueType::U32 || v->type == ValueType::U64) {
    return static_cast<double>(v->u);
  }
  if (v->is_integer()) return static_cast<double>(v->i);
  fail(quoted_key(key), std::string("expected a number, found ") + value_type_name(v->type));
}

std::optional<std::string_view> File::get_string_opt(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (v->type != ValueType::STRING) {
    fail(quoted_key(key), std::string("expected a string, found ") + value_type_name(v->type));
  }
  return v->str;
}

std::optional<bool> File::get_bool_opt(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (v->type != ValueType::BOOL) fail(quoted_key(key), std::string("expected a bool, found ") + value_type_name(v->type));
  return v->u != 0;
}

// The required getters: the optional one's value, or an error naming the missing key.
std::string_view File::get_string(std::string_view key) const { return required(key, get_string_opt(key)); }
uint64_t File::get_uint(std::string_view key) const { return required(key, get_uint_opt(key)); }
double File::get_float(std::string_view key) const { return required(key, get_float_opt(key)); }
bool File::get_bool(std::string_view key) const { return required(key, get_bool_opt(key)); }

std::vector<std::string_view> File::get_string_array(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) fail(quoted_key(key), "missing");
  if (v->type != ValueType::ARRAY || v->elem_type != ValueType::STRING) {
    fail(quoted_key(key), std::string("expected an array of strings, found ") + value_type_name(v->type) +
                              (v->type == ValueType::ARRAY ? std::string(" of ") + value_type_name(v->elem_type) : ""));
  }
  std::vector<std::string_view> out;
  out.reserve(v->items.size());
  for (const Value& item : v->items) out.push_back(item.str);
  return out;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  for (const TensorInfo& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const TensorInfo& File::tensor(std::string_view name) const {
  const TensorInfo* t = find_tensor(name);
  if (t == nullptr) fail("tensor '" + std::string(name) + "'", "missing");
  return *t;
}

}  // namespace tern::gguf
