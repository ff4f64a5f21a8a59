#include "hf/safetensors.h"

#include <algorithm>
#include <filesystem>
#include <limits>

#include "hf/json_util.h"
#include "tern/error.h"

namespace tern::hf {

namespace {

// The safetensors project caps the header at 100 MB; a larger length is hostile.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct DtypeRow {
  Dtype dtype;
  const char* name;
  size_t size;
};
constexpr DtypeRow kDtypes[] = {
    {Dtype::BOOL, "BOOL", 1}, {Dtype::U8, "U8", 1},   {Dtype::I8, "I8", 1},
    {Dtype::F8_E4M3, "F8_E4M3", 1}, {Dtype::F8_E5M2, "F8_E5M2", 1},
    {Dtype::U16, "U16", 2},   {Dtype::I16, "I16", 2}, {Dtype::F16, "F16", 2},
    {Dtype::BF16, "BF16", 2}, {Dtype::U32, "U32", 4}, {Dtype::I32, "I32", 4},
    {Dtype::F32, "F32", 4},   {Dtype::U64, "U64", 8}, {Dtype::I64, "I64", 8},
    {Dtype::F64, "F64", 8},
};

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

}  // namespace

const char* dtype_name(Dtype d) {
  for (const auto& r : kDtypes) {
    if (r.dtype == d) return r.name;
  }
  return "?";
}

size_t dtype_size(Dtype d) {
  for (const auto& r : kDtypes) {
    if (r.dtype == d) return r.size;
  }
  return 0;
}

uint64_t StTensor::n_elements() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;  // validated not to overflow at parse time
  return n;
}

std::string StTensor::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

void Checkpoint::release_pages(const StTensor& t, uint64_t from, uint64_t to) const {
  if (find(t.name) != &t) return;  // not one of ours
  to = std::min<uint64_t>(to, t.data.size());
  if (from >= to) return;
  // Only whole pages inside the tensor go: neighbours sharing a page keep it.
  for (const SafetensorsFile& f : files_) {
    if (t.file == &f.name()) f.release_pages(t.data.subspan(from, to - from));
  }
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  auto map = std::make_shared<MappedFile>(path);
  SafetensorsFile f = parse(map->bytes(), path);
  f.map_ = std::move(map);
  return f;
}

SafetensorsFile SafetensorsFile::parse(std::span<const uint8_t> bytes, const std::string& name) {
  SafetensorsFile f;
  f.name_ = std::make_shared<std::string>(name);
  auto fail = [&](const std::string& field, const std::string& what) -> void {
    throw Error(name + ": " + field + ": " + what);
  };
  if (bytes.size() < 8) {
    fail("header length", "file is " + std::to_string(bytes.size()) +
                              " bytes, too short for the 8-byte header length");
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<size_t>(i)];
  if (n > bytes.size() - 8) {
    fail("header length", std::to_string(n) + " bytes exceeds the file (" +
                              std::to_string(bytes.size() - 8) + " bytes after the length)");
  }
  if (n > kMaxHeaderBytes) fail("header length", std::to_string(n) + " bytes exceeds the 100 MB limit");
  if (n < 2) fail("header", "too short to be a JSON object");
  f.header_len_ = n;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + 8), n);
  const Json root = parse_json(text, name + ": header");
  const JsonAt at = json_root(root, name + ": header");
  at.require_object();

  const std::span<const uint8_t> data = bytes.subspan(8 + n);
  struct Range {
    uint64_t begin, end;
    size_t tensor;
  };
  std::vector<Range> ranges;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& key = it.key();
    if (key == "__metadata__") {
      const JsonAt meta{it.value(), name + ": header", "/__metadata__"};
      meta.require_object();
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        f.metadata_[m.key()] = meta.child(m.key()).as_string();
      }
      continue;
    }
    const JsonAt t{it.value(), name, "tensor '" + key + "'"};
    t.require_object();
    StTensor st;
    st.name = key;
    const std::string& dt = t.child("dtype").as_string();
    bool known = false;
    for (const auto& r : kDtypes) {
      if (dt == r.name) {
        st.dtype = r.dtype;
        known = true;
      }
    }
    if (!known) t.child("dtype").fail("unknown dtype '" + dt + "'");
    const JsonAt shape = t.child("shape");
    shape.require_array();
    uint64_t elems = 1;
    for (size_t i = 0; i < shape.value.size(); ++i) {
      const auto d = static_cast<uint64_t>(shape.at(i).as_int(0, INT64_MAX));
      if (mul_overflows(elems, d, &elems)) shape.fail("element count overflows");
      st.shape.push_back(d);
    }
    const JsonAt offs = t.child("data_offsets");
    offs.require_array();
    if (offs.value.size() != 2) offs.fail("expected [begin, end], got " + std::to_string(offs.value.size()) + " values");
    const auto begin = static_cast<uint64_t>(offs.at(0).as_int(0, INT64_MAX));
    const auto end = static_cast<uint64_t>(offs.at(1).as_int(0, INT64_MAX));
    if (begin > end) offs.fail("begin " + std::to_string(begin) + " > end " + std::to_string(end));
    if (end > data.size()) {
      offs.fail("end " + std::to_string(end) + " exceeds the data section (" +
                std::to_string(data.size()) + " bytes)");
    }
    uint64_t want = 0;
    if (mul_overflows(elems, dtype_size(st.dtype), &want)) shape.fail("byte size overflows");
    if (want != end - begin) {
      offs.fail("holds " + std::to_string(end - begin) + " bytes but shape " + st.shape_string() +
                " of " + dt + " needs " + std::to_string(want));
    }
    st.data = data.subspan(begin, end - begin);
    st.file = f.name_.get();
    ranges.push_back({begin, end, f.tensors_.size()});
    f.tensors_.push_back(std::move(st));
  }
  // Non-overlapping: sorted by begin, each tensor starts at or after the previous end.
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < ranges.size(); ++i) {
    const Range& prev = ranges[i - 1];
    const Range& cur = ranges[i];
    // Zero-byte tensors occupy no bytes and cannot overlap anything.
    if (cur.begin < prev.end && cur.begin != cur.end && prev.begin != prev.end) {
      fail("tensor '" + f.tensors_[cur.tensor].name + "'",
           "data_offsets [" + std::to_string(cur.begin) + ", " + std::to_string(cur.end) +
               ") overlap tensor '" + f.tensors_[prev.tensor].name + "' [" +
               std::to_string(prev.begin) + ", " + std::to_string(prev.end) + ")");
    }
  }
  std::vector<StTensor> sorted;
  sorted.reserve(ranges.size());
  for (const Range& r : ranges) sorted.push_back(std::move(f.tensors_[r.tensor]));
  f.tensors_ = std::move(sorted);
  for (size_t i = 0; i < f.tensors_.size(); ++i) f.index_[f.tensors_[i].name] = i;
  return f;
}

const StTensor* SafetensorsFile::find(std::string_view tensor_name) const {
  auto it = index_.find(tensor_name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Checkpoint Checkpoint::open(const std::string& dir) {
  namespace fs = std::filesystem;
  Checkpoint c;
  const fs::path base(dir);
  const fs::path index_path = base / "model.safetensors.index.json";
  const fs::path single_path = base / "model.safetensors";
  std::error_code ec;
  if (fs::exists(index_path, ec)) {
    const std::string index_name = index_path.string();
    const Json root = read_json_file(index_name, index_name);
    const JsonAt at = json_root(root, index_name);
    const JsonAt map = at.child("weight_map");
    map.require_object();
    std::map<std::string, std::vector<std::string>> by_shard;  // shard -> tensors it must hold
    for (auto it = map.value.begin(); it != map.value.end(); ++it) {
      const std::string& shard = map.child(it.key()).as_string();
      if (shard.empty() || shard.find('/') != std::string::npos || shard == "..") {
        map.child(it.key()).fail("shard file name '" + shard + "' is not a plain file name");
      }
      by_shard[shard].push_back(it.key());
    }
    if (by_shard.empty()) map.fail("lists no tensors");
    c.files_.reserve(by_shard.size());
    for (const auto& [shard, names] : by_shard) {
      c.files_.push_back(SafetensorsFile::open((base / shard).string()));
      const SafetensorsFile& f = c.files_.back();
      for (const std::string& n : names) {
        if (f.find(n) == nullptr) {
          throw Error(index_name + ": /weight_map/" + n + ": tensor not found in " + f.name());
        }
      }
    }
    for (const SafetensorsFile& f : c.files_) {
      for (const StTensor& t : f.tensors()) {
        // Only the shard the index names owns a tensor; a duplicate elsewhere is an error.
        auto& shards = by_shard;
        const std::string shard_name = fs::path(f.name()).filename().string();
        const auto& names = shards[shard_name];
        if (std::find(names.begin(), names.end(), t.name) == names.end()) {
          throw Error(f.name() + ": tensor '" + t.name + "': not listed for this shard in " + index_name);
        }
        c.by_name_[t.name] = &t;
      }
    }
  } else if (fs::exists(single_path, ec)) {
    c.files_.push_back(SafetensorsFile::open(single_path.string()));
    for (const StTensor& t : c.files_.back().tensors()) c.by_name_[t.name] = &t;
  } else {
    throw Error(dir + ": no model.safetensors or model.safetensors.index.json");
  }
  return c;
}

const StTensor* Checkpoint::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const StTensor& Checkpoint::tensor(std::string_view name) const {
  const StTensor* t = find(name);
  if (t == nullptr) {
    const std::string where = files_.size() == 1 ? files_[0].name() : "the checkpoint's shards";
    throw Error(where + ": tensor '" + std::string(name) + "': missing");
  }
  return *t;
}

std::vector<const StTensor*> Checkpoint::all() const {
  std::vector<const StTensor*> v;
  for (const auto& [n, t] : by_name_) v.push_back(t);
  return v;
}

uint64_t Checkpoint::total_bytes() const {
  uint64_t n = 0;
  for (const auto& [name, t] : by_name_) n += t->data.size();
  return n;
}

}  // namespace tern::hf
