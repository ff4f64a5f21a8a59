// Golden tests parameterized by (model, kernel), so a failure's name says which: e.g.
// Golden/GoldenLogits.EverySequence/tiny_a__avx2_mad. The list is a fixed product of the
// golden models tern knows and the kernels compiled into this binary, so it is the same on
// every machine and does not depend on ../shared at static-init time: a kernel this CPU
// cannot run is skipped with the reason, a golden model folder that is missing fails (CI
// has ../shared), and GoldenModels.KnownListIsShared fails when ../shared gains a model
// this list lacks.
#pragma once

#include <gtest/gtest.h>


#include <chrono>
#include <filesystem>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "platform/environment.h"
#include "golden_fixture.h"
#include "runtime/cpu_features.h"

namespace tern::test {

// Every folder of ../shared/golden with a golden/golden.json (golden_models()), sorted.
inline const std::vector<std::string>& known_golden_models() {
  static const std::vector<std::string> models = {"bitnet158-latent-a", "llama158-a", "llama158-rope-a",
                                                  "tiny-a",             "tiny-a-bf16", "tiny-b"};
  return models;
}

struct GoldenCase {
  std::string model;
  std::string kernel;  // a kernels::Kernel name
};
// How gtest (and so ctest's "# GetParam() = ..." suffix) prints a case.
inline void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.model << " x " << c.kernel; }

inline std::vector<GoldenCase> golden_cases() {
  std::vector<GoldenCase> out;
  for (const std::string& m : known_golden_models())
    for (const kernels::Kernel* k : kernels::all_kernels()) out.push_back({m, k->name});
  return out;
}

// "tiny-a" x "avx2-mad" -> "tiny_a__avx2_mad" (gtest names allow [A-Za-z0-9_]).
inline std::string golden_case_name(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string s = info.param.model + "__" + info.param.kernel;
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

// The golden model converted to GGUF, once per model for all the (model, kernel) tests:
// ctest runs each in a process of its own, so converted_model()'s per-process cache would
// convert the model once per kernel. The file is kept beside the test binary, named by the
// binary's modification time (the converter is linked into it, so a changed converter means
// a new name and a stale file is never read); written under a temporary name and renamed, so
// concurrent tests never read half a file. Falls back to converted_model() if the folder
// cannot be written.
inline std::string golden_gguf(const std::string& model, WeightType wt = WeightType::TernT2) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const auto stamp = ec ? fs::file_time_type{} : fs::last_write_time(exe, ec);
  if (ec) return converted_model(model, wt);
  const fs::path dir = exe.parent_path() / "golden-gguf-cache";
  fs::create_directories(dir, ec);
  if (ec) return converted_model(model, wt);
  const std::string prefix = model + "-" + weight_type_name(wt) + "-";
  const std::string name = prefix + std::to_string(static_cast<unsigned long long>(stamp.time_since_epoch().count())) + ".gguf";
  const fs::path path = dir / name;
  if (fs::exists(path, ec)) return path.string();
  for (const auto& e : fs::directory_iterator(dir, ec)) {  // this model's files of an older binary
    const std::string f = e.path().filename().string();
    if (f.rfind(prefix, 0) == 0 && f.rfind(name, 0) != 0) fs::remove(e.path(), ec);
  }
  ConvertOptions o;
  o.input_dir = golden_dir(model).string();
  o.output_path = path.string() + ".tmp" + std::to_string(tern::process_id());
  o.weight_type = wt;
  convert_hf_to_gguf(o);
  fs::rename(o.output_path, path, ec);
  if (ec) return converted_model(model, wt);
  return path.string();
}

class GoldenModelKernel : public ::testing::TestWithParam<GoldenCase> {
 protected:
  void SetUp() override {
    model_ = GetParam().model;
    kernel_ = kernels::find_kernel(GetParam().kernel);
    ASSERT_NE(kernel_, nullptr) << GetParam().kernel;
    if (!kernel_->supported()) {
      GTEST_SKIP() << "kernel " << kernel_->name << " is not supported by this CPU (" << cpu_features().summary() << ")";
    }
    ASSERT_TRUE(std::filesystem::exists(golden_dir(model_) / "golden" / "golden.json"))
        << "golden model " << model_ << " is missing: " << golden_dir(model_);
  }
  std::string model_;
  const kernels::Kernel* kernel_ = nullptr;
};

}  // namespace tern::test
