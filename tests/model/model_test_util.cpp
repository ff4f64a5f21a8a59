#include "platform/environment.h"
#include "model_test_util.h"


#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>

#include "tern/error.h"

namespace tern::test {

namespace fs = std::filesystem;

fs::path shared_dir() {
  if (const char* env = std::getenv("TERN_SHARED_DIR"); env != nullptr && *env != 0) return env;
  return TERN_SHARED_DIR;
}

fs::path golden_dir(const std::string& model) { return shared_dir() / "golden" / model; }

const nlohmann::json& golden_json(const std::string& model) {
  static std::map<std::string, nlohmann::json> cache;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(model);
  if (it == cache.end()) {
    std::ifstream in(golden_dir(model) / "golden" / "golden.json");
    if (!in) throw Error("cannot open golden.json of " + model);
    it = cache.emplace(model, nlohmann::json::parse(in)).first;
  }
  return it->second;
}

std::vector<float> read_f32(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  in.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(in.tellg());
  in.seekg(0);
  std::vector<float> v(size / 4);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("tern-model-test-" + std::to_string(tern::process_id()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};
}  // namespace

std::string converted_model(const std::string& model, WeightType wt, EmbdType et) {
  static TempDir dir;
  static std::map<std::string, std::string> cache;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  const std::string key = model + "-" + weight_type_name(wt) + "-" + embd_type_name(et);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  ConvertOptions o;
  o.input_dir = golden_dir(model).string();
  o.output_path = (dir.path / (key + ".gguf")).string();
  o.weight_type = wt;
  o.embd_type = et;
  convert_hf_to_gguf(o);
  cache.emplace(key, o.output_path);
  return o.output_path;
}

std::vector<const kernels::Kernel*> runnable_kernels() {
  std::vector<const kernels::Kernel*> out;
  for (const kernels::Kernel* k : kernels::all_kernels())
    if (k->supported()) out.push_back(k);
  return out;
}

int64_t argmax(const float* x, int64_t n) {
  return std::max_element(x, x + n) - x;  // first index on ties, as torch.argmax
}

double margin(const float* x, int64_t n) {
  float a = -INFINITY, b = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] > a) {
      b = a;
      a = x[i];
    } else if (x[i] > b) {
      b = x[i];
    }
  }
  return static_cast<double>(a) - static_cast<double>(b);
}

Diff compare(const float* a, const float* b, int64_t rows, int64_t cols) {
  Diff d;
  d.rows = rows;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const double e = std::fabs(static_cast<double>(a[r * cols + c]) - static_cast<double>(b[r * cols + c]));
      if (!(e <= d.max_abs)) d.max_abs = std::isnan(e) ? INFINITY : e;
    }
    d.top1_agree += argmax(a + r * cols, cols) == argmax(b + r * cols, cols);
  }
  return d;
}

std::vector<float> eval_all(std::shared_ptr<const Model> model, const std::vector<int32_t>& ids,
                            const SessionOptions& opts) {
  Session s(std::move(model), opts);
  std::span<const float> l = s.eval_all(ids);
  return std::vector<float>(l.begin(), l.end());
}

}  // namespace tern::test
