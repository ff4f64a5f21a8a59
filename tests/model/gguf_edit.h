// Copies of a GGUF file with edits (keys changed, dropped or added, a tensor dropped, tensor
// bytes changed), for the loader's error tests and the family-rule mutation tests.
#pragma once


#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "platform/environment.h"
#include "gguf/bitnet_names.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace tern::test {

struct Edit {
  std::function<bool(gguf::KeyValue&)> kv;                // return false to drop the key
  std::vector<gguf::KeyValue> add;                        // extra keys
  std::string drop_tensor;
  std::function<void(const std::string&, std::vector<uint8_t>&)> data;  // edit a tensor's bytes
};

// Copies `src` to a temporary file with `e` applied; returns its path.
inline std::string copy_with(const std::string& src, const Edit& e, const std::string& name) {
  const gguf::File f = gguf::File::open(src);
  const std::string out = (std::filesystem::temp_directory_path() / ("tern-model-loader-" + std::to_string(tern::process_id()) + "-" + name + ".gguf")).string();
  gguf::Writer w(out, f.alignment());
  for (gguf::KeyValue kv : f.metadata()) {
    if (kv.key == gguf::names::kGeneralAlignment) continue;
    if (e.kv && !e.kv(kv)) continue;
    w.set_value(kv.key, kv.value);
  }
  for (const gguf::KeyValue& kv : e.add) w.set_value(kv.key, kv.value);
  for (const gguf::TensorInfo& t : f.tensors())
    if (t.name != e.drop_tensor) w.add_tensor(t.name, t.type, t.dims);
  for (const gguf::TensorInfo& t : f.tensors()) {
    if (t.name == e.drop_tensor) continue;
    std::vector<uint8_t> bytes(t.data, t.data + t.nbytes);
    if (e.data) e.data(t.name, bytes);
    w.write_tensor_data(t.name, bytes);
  }
  w.finish();
  return out;
}

inline Edit kv_edit(std::function<bool(gguf::KeyValue&)> f) {
  Edit e;
  e.kv = std::move(f);
  return e;
}
inline Edit drop(const std::string& tensor) {
  Edit e;
  e.drop_tensor = tensor;
  return e;
}
inline Edit data_edit(std::function<void(const std::string&, std::vector<uint8_t>&)> f) {
  Edit e;
  e.data = std::move(f);
  return e;
}


}  // namespace tern::test
