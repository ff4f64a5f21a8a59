// safetensors reader: maps the file, validates the whole header once (length against the
// file size, JSON, dtypes, shapes, data_offsets in bounds, non-overlapping, shape x dtype
// size == byte length), then hands out zero-copy views. Sharded checkpoints are opened
// through model.safetensors.index.json by Checkpoint.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "platform/mapped_file.h"

namespace tern::hf {

enum class Dtype { BOOL, U8, I8, F8_E4M3, F8_E5M2, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64 };
const char* dtype_name(Dtype d);
size_t dtype_size(Dtype d);

struct StTensor {
  std::string name;
  Dtype dtype = Dtype::U8;
  std::vector<uint64_t> shape;      // HF order: shape[0] is the slowest axis
  std::span<const uint8_t> data;    // zero-copy view (not necessarily aligned)
  const std::string* file = nullptr;  // display name of the file holding it

  uint64_t n_elements() const;
  std::string shape_string() const;  // "[64, 256]"
};

class SafetensorsFile {
 public:
  // Maps and validates `path`; errors are "<path>: <field>: <what is wrong>".
  static SafetensorsFile open(const std::string& path);
  // Validates an in-memory image (fuzzing, tests); the bytes must outlive the object.
  static SafetensorsFile parse(std::span<const uint8_t> bytes, const std::string& name);

  const std::string& name() const { return *name_; }
  const std::vector<StTensor>& tensors() const { return tensors_; }  // in file offset order
  const StTensor* find(std::string_view tensor_name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  uint64_t header_bytes() const { return header_len_; }
  // Drops the resident pages of `bytes` from this file's mapping (MappedFile::release_pages:
  // whole pages only; a range outside the mapping, or a parsed in-memory image, is ignored).
  void release_pages(std::span<const uint8_t> bytes) const {
    if (map_) map_->release_pages(bytes.data(), bytes.size());
  }

 private:
  std::shared_ptr<MappedFile> map_;
  std::shared_ptr<std::string> name_;  // stable address for StTensor::file
  uint64_t header_len_ = 0;
  std::vector<StTensor> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

// A whole checkpoint folder: model.safetensors, or the shards listed in
// model.safetensors.index.json ("weight_map": tensor name -> shard file).
class Checkpoint {
 public:
  static Checkpoint open(const std::string& dir);

  const StTensor* find(std::string_view name) const;
  const StTensor& tensor(std::string_view name) const;  // throws naming the tensor
  std::vector<const StTensor*> all() const;               // sorted by name
  const std::vector<SafetensorsFile>& files() const { return files_; }
  uint64_t total_bytes() const;
  // Drops the resident pages of a tensor's bytes from the read-only file mapping
  // (MADV_DONTNEED: the file is re-read if touched again). Streaming conversion calls it
  // after each tensor so the mapped checkpoint does not pile up in the resident set.
  // Only for tensors of this checkpoint (always file mappings, never heap memory).
  void release_pages(const StTensor& t) const { release_pages(t, 0, t.data.size()); }
  // The same for bytes [begin, end) of the tensor (large tensors read in chunks).
  void release_pages(const StTensor& t, uint64_t begin, uint64_t end) const;

 private:
  std::vector<SafetensorsFile> files_;
  std::map<std::string, const StTensor*, std::less<>> by_name_;
};

}  // namespace tern::hf
