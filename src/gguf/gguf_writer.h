// GGUF v3 writer: metadata first, then every tensor's info, then the data section, each
// tensor aligned. Streaming: tensor bytes are written as they are produced (one tensor's
// worth of memory at most), to "<path>.tmp", renamed to <path> by finish().
// If the alignment is not GGUF's default 32, general.alignment is written automatically.
// Every mistake (duplicate key or tensor, wrong order, too many or too few bytes, an array
// whose items are not of its element type) throws tern::Error naming the path and the field.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"

namespace tern::gguf {

class Writer {
 public:
  explicit Writer(std::string path, uint64_t alignment = 32);
  ~Writer();  // removes the temporary file unless finish() succeeded
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Metadata, in the order added. Keys must be unique.
  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_u64(const std::string& key, uint64_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, std::string_view v);
  void set_value(const std::string& key, const Value& v);  // any type, incl. nested arrays
  void set_string_array(const std::string& key, const std::vector<std::string>& v);
  void set_f32_array(const std::string& key, const std::vector<float>& v);
  void set_i32_array(const std::string& key, const std::vector<int32_t>& v);

  // Declare every tensor (ggml dims order) before writing any data.
  void add_tensor(const std::string& name, TensorType type, std::vector<uint64_t> dims);

  // Writes the header (metadata + tensor infos) on first call, then appends `bytes` to the
  // tensor currently being written; tensors must be written in declaration order, and each
  // must receive exactly its nbytes (possibly over several calls).
  void write_tensor_data(const std::string& name, std::span<const uint8_t> bytes);

  // Checks every tensor got all its bytes, flushes, renames the temporary file into place.
  void finish();

 private:
  void write_header();
  std::string path_;
  std::string tmp_path_;
  uint64_t alignment_;
  std::FILE* out_ = nullptr;
  bool header_written_ = false;
  bool finished_ = false;
  std::vector<std::pair<std::string, Value>> kvs_;
  // Backing storage for string Values; a deque so the string_views into it stay valid.
  std::deque<std::string> owned_strings_;
  Value own(const Value& v);                 // deep copy whose strings live in owned_strings_
  void add_kv(const std::string& key, Value v);
  void write_bytes(const void* p, size_t n);
  void write_string(std::string_view s);
  void write_value(const std::string& key, const Value& v);
  void pad_to_alignment();
  uint64_t file_pos_ = 0;
  struct Pending {
    std::string name;
    TensorType type;
    std::vector<uint64_t> dims;
    uint64_t nbytes;
    uint64_t offset;
    uint64_t written = 0;
  };
  std::vector<Pending> tensors_;
  size_t current_ = 0;
  uint64_t data_pos_ = 0;
};

}  // namespace tern::gguf
