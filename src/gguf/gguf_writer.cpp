// Streaming GGUF v3 writer. The header is written once every tensor is declared (so every
// offset is known); tensor bytes then go straight to the file, never held in memory.
#include "gguf/gguf_writer.h"

#include <bit>
#include <cerrno>
#include <cstring>

#include "platform/files.h"
#include "tern/error.h"

namespace tern::gguf {

namespace {
constexpr uint64_t kDefaultAlignment = 32;
std::string key_field(const std::string& key) { return "key '" + key + "'"; }

// A scalar Value of `type`, held in the field that type reads: u (unsigned, bool), i, f.
Value unsigned_value(ValueType type, uint64_t v) {
  Value x;
  x.type = type;
  x.u = v;
  return x;
}
Value signed_value(ValueType type, int64_t v) {
  Value x;
  x.type = type;
  x.i = v;
  return x;
}
Value float_value(ValueType type, double v) {
  Value x;
  x.type = type;
  x.f = v;
  return x;
}
Value array_value(ValueType elem_type, std::vector<Value> items) {
  Value x;
  x.type = ValueType::ARRAY;
  x.elem_type = elem_type;
  x.items = std::move(items);
  return x;
}
}  // namespace

Writer::Writer(std::string path, uint64_t alignment)
    : path_(std::move(path)), tmp_path_(path_ + ".tmp"), alignment_(alignment) {
  if (alignment_ == 0 || !std::has_single_bit(alignment_)) {
    throw Error(path_ + ": alignment " + std::to_string(alignment_) + " is not a non-zero power of two");
  }
  out_ = std::fopen(tmp_path_.c_str(), "wb");
  if (out_ == nullptr) throw Error(tmp_path_ + ": cannot create: " + std::strerror(errno));
}

Writer::~Writer() {
  if (out_ != nullptr) std::fclose(out_);
  if (!finished_) std::remove(tmp_path_.c_str());
}

// ---- metadata ----------------------------------------------------------------------------

Value Writer::own(const Value& v) {
  Value c;
  c.type = v.type;
  c.u = v.u;
  c.i = v.i;
  c.f = v.f;
  c.elem_type = v.elem_type;
  if (v.type == ValueType::STRING) c.str = owned_strings_.emplace_back(v.str);
  if (v.type == ValueType::ARRAY) {
    c.items.reserve(v.items.size());
    for (const Value& item : v.items) c.items.push_back(own(item));
  }
  return c;
}

void Writer::add_kv(const std::string& key, Value v) {
  if (header_written_) throw Error(path_ + ": " + key_field(key) + ": metadata added after tensor data");
  if (key.empty()) throw Error(path_ + ": metadata key: empty key");
  for (const auto& kv : kvs_) {
    if (kv.first == key) throw Error(path_ + ": " + key_field(key) + ": duplicate key");
  }
  kvs_.emplace_back(key, std::move(v));
}

void Writer::set_u32(const std::string& key, uint32_t v) { add_kv(key, unsigned_value(ValueType::U32, v)); }
void Writer::set_i32(const std::string& key, int32_t v) { add_kv(key, signed_value(ValueType::I32, v)); }
void Writer::set_u64(const std::string& key, uint64_t v) { add_kv(key, unsigned_value(ValueType::U64, v)); }
void Writer::set_f32(const std::string& key, float v) { add_kv(key, float_value(ValueType::F32, v)); }
void Writer::set_bool(const std::string& key, bool v) { add_kv(key, unsigned_value(ValueType::BOOL, v ? 1 : 0)); }

void Writer::set_string(const std::string& key, std::string_view v) {
  Value x;
  x.type = ValueType::STRING;
  x.str = v;
  add_kv(key, own(x));
}

void Writer::set_value(const std::string& key, const Value& v) { add_kv(key, own(v)); }

void Writer::set_string_array(const std::string& key, const std::vector<std::string>& v) {
  std::vector<Value> items(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    items[i].type = ValueType::STRING;
    items[i].str = owned_strings_.emplace_back(v[i]);
  }
  add_kv(key, array_value(ValueType::STRING, std::move(items)));
}

void Writer::set_f32_array(const std::string& key, const std::vector<float>& v) {
  std::vector<Value> items;
  for (float f : v) items.push_back(float_value(ValueType::F32, f));
  add_kv(key, array_value(ValueType::F32, std::move(items)));
}

void Writer::set_i32_array(const std::string& key, const std::vector<int32_t>& v) {
  std::vector<Value> items;
  for (int32_t i : v) items.push_back(signed_value(ValueType::I32, i));
  add_kv(key, array_value(ValueType::I32, std::move(items)));
}

// ---- tensors -----------------------------------------------------------------------------

void Writer::add_tensor(const std::string& name, TensorType type, std::vector<uint64_t> dims) {
  const std::string field = path_ + ": tensor '" + name + "'";
  if (header_written_) throw Error(field + ": declared after tensor data was written");
  if (name.empty()) throw Error(path_ + ": tensor: empty name");
  if (dims.empty() || dims.size() > 4) throw Error(field + ": n_dims " + std::to_string(dims.size()) + " is not in 1..4");
  for (const Pending& p : tensors_) {
    if (p.name == name) throw Error(field + ": duplicate tensor name");
  }
  Pending p;
  p.name = name;
  p.type = type;
  p.nbytes = tensor_nbytes(type, dims, field);
  p.dims = std::move(dims);
  p.offset = data_pos_;
  uint64_t padded = 0;
  if (__builtin_add_overflow(p.nbytes, alignment_ - 1, &padded) ||
      __builtin_add_overflow(data_pos_, padded / alignment_ * alignment_, &data_pos_)) {
    throw Error(field + ": data section size overflows 64 bits");
  }
  tensors_.push_back(std::move(p));
}

// ---- serialization -----------------------------------------------------------------------

void Writer::write_bytes(const void* p, size_t n) {
  if (n == 0) return;
  if (std::fwrite(p, 1, n, out_) != n) throw Error(tmp_path_ + ": write failed: " + std::strerror(errno));
  file_pos_ += n;
}

void Writer::write_string(std::string_view s) {
  const uint64_t len = s.size();
  write_bytes(&len, sizeof len);
  write_bytes(s.data(), s.size());
}

void Writer::pad_to_alignment() {
  static const uint8_t zeros[256] = {};
  uint64_t pad = (alignment_ - file_pos_ % alignment_) % alignment_;
  while (pad > 0) {
    const size_t n = pad < sizeof zeros ? static_cast<size_t>(pad) : sizeof zeros;
    write_bytes(zeros, n);
    pad -= n;
  }
}

void Writer::write_value(const std::string& key, const Value& v) {
  auto put = [this](auto x) { write_bytes(&x, sizeof x); };
  switch (v.type) {
    case ValueType::U8: put(static_cast<uint8_t>(v.u)); break;
    case ValueType::I8: put(static_cast<int8_t>(v.i)); break;
    case ValueType::U16: put(static_cast<uint16_t>(v.u)); break;
    case ValueType::I16: put(static_cast<int16_t>(v.i)); break;
    case ValueType::U32: put(static_cast<uint32_t>(v.u)); break;
    case ValueType::I32: put(static_cast<int32_t>(v.i)); break;
    case ValueType::U64: put(static_cast<uint64_t>(v.u)); break;
    case ValueType::I64: put(static_cast<int64_t>(v.i)); break;
    case ValueType::F32: put(static_cast<float>(v.f)); break;
    case ValueType::F64: put(static_cast<double>(v.f)); break;
    case ValueType::BOOL: put(static_cast<uint8_t>(v.u != 0 ? 1 : 0)); break;
    case ValueType::STRING: write_string(v.str); break;
    case ValueType::ARRAY: {
      put(static_cast<uint32_t>(v.elem_type));
      put(static_cast<uint64_t>(v.items.size()));
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (v.items[i].type != v.elem_type) {
          throw Error(path_ + ": " + key_field(key) + ": array item " + std::to_string(i) + " is " +
                      value_type_name(v.items[i].type) + ", not the array's element type " +
                      value_type_name(v.elem_type));
        }
        write_value(key, v.items[i]);
      }
      break;
    }
    default:
      throw Error(path_ + ": " + key_field(key) + ": unknown value type " +
                  std::to_string(static_cast<uint32_t>(v.type)));
  }
}

void Writer::write_header() {
  // general.alignment: written when not the default, and must agree if the caller set it.
  bool has_alignment = false;
  for (const auto& [key, v] : kvs_) {
    if (key != "general.alignment") continue;
    has_alignment = true;
    const bool is_unsigned = v.type == ValueType::U8 || v.type == ValueType::U16 || v.type == ValueType::U32 ||
                             v.type == ValueType::U64;
    const bool matches = is_unsigned ? v.u == alignment_ : v.is_integer() && v.i > 0 && uint64_t(v.i) == alignment_;
    if (!matches) {
      throw Error(path_ + ": key 'general.alignment': does not match the writer's alignment " +
                  std::to_string(alignment_));
    }
  }
  if (!has_alignment && alignment_ != kDefaultAlignment) {
    if (alignment_ > UINT32_MAX) throw Error(path_ + ": alignment " + std::to_string(alignment_) + " does not fit u32");
    set_u32("general.alignment", static_cast<uint32_t>(alignment_));
  }
  header_written_ = true;

  write_bytes("GGUF", 4);
  const uint32_t version = 3;
  write_bytes(&version, sizeof version);
  const uint64_t n_tensors = tensors_.size();
  const uint64_t n_kv = kvs_.size();
  write_bytes(&n_tensors, sizeof n_tensors);
  write_bytes(&n_kv, sizeof n_kv);
  for (const auto& [key, v] : kvs_) {
    write_string(key);
    const uint32_t type = static_cast<uint32_t>(v.type);
    write_bytes(&type, sizeof type);
    write_value(key, v);
  }
  for (const Pending& t : tensors_) {
    write_string(t.name);
    const uint32_t n_dims = static_cast<uint32_t>(t.dims.size());
    write_bytes(&n_dims, sizeof n_dims);
    write_bytes(t.dims.data(), t.dims.size() * sizeof(uint64_t));
    const uint32_t type = static_cast<uint32_t>(t.type);
    write_bytes(&type, sizeof type);
    write_bytes(&t.offset, sizeof t.offset);
  }
  pad_to_alignment();
}

void Writer::write_tensor_data(const std::string& name, std::span<const uint8_t> bytes) {
  if (finished_) throw Error(path_ + ": tensor '" + name + "': written after finish()");
  if (!header_written_) write_header();
  if (current_ >= tensors_.size() || tensors_[current_].name != name) {
    if (current_ < tensors_.size() && tensors_[current_].written != tensors_[current_].nbytes) {
      const Pending& c = tensors_[current_];
      throw Error(path_ + ": tensor '" + name + "': written before tensor '" + c.name + "' was complete (" +
                  std::to_string(c.written) + " of " + std::to_string(c.nbytes) + " bytes)");
    }
    const size_t next = current_ + 1;
    if (next >= tensors_.size() || tensors_[next].name != name) {
      throw Error(path_ + ": tensor '" + name + "': not declared, or written out of declaration order" +
                  (next < tensors_.size() ? " (next is '" + tensors_[next].name + "')" : std::string()));
    }
    current_ = next;
  }
  Pending& p = tensors_[current_];
  if (bytes.size() > p.nbytes - p.written) {
    throw Error(path_ + ": tensor '" + name + "': " + std::to_string(p.written + bytes.size()) +
                " bytes written, but its size is " + std::to_string(p.nbytes));
  }
  write_bytes(bytes.data(), bytes.size());
  p.written += bytes.size();
  if (p.written == p.nbytes) pad_to_alignment();
}

void Writer::finish() {
  if (finished_) return;
  if (!header_written_) write_header();
  for (const Pending& p : tensors_) {
    if (p.written != p.nbytes) {
      throw Error(path_ + ": tensor '" + p.name + "': only " + std::to_string(p.written) + " of " +
                  std::to_string(p.nbytes) + " bytes written");
    }
  }
  if (!flush_to_disk(out_)) {
    throw Error(tmp_path_ + ": flush failed: " + std::strerror(errno));
  }
  const int rc = std::fclose(out_);
  out_ = nullptr;
  if (rc != 0) throw Error(tmp_path_ + ": close failed: " + std::strerror(errno));
  if (!replace_file(tmp_path_, path_)) {
    throw Error(path_ + ": cannot rename " + tmp_path_ + " into place: " + std::strerror(errno));
  }
  finished_ = true;
}

}  // namespace tern::gguf
