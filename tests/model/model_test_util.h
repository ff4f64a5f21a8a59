// Helpers for the model tests: the golden data in ../shared/golden, models converted from it
// with tern::convert into a per-process temporary folder, and logit comparisons.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/ternary.h"
#include "tern/convert.h"
#include "tern/model.h"
#include "tern/session.h"

namespace tern::test {

std::filesystem::path shared_dir();
std::filesystem::path golden_dir(const std::string& model);  // ../shared/golden/<model>
const nlohmann::json& golden_json(const std::string& model);
// Raw little-endian float32 file.
std::vector<float> read_f32(const std::filesystem::path& path);

// The golden model converted to GGUF (cached per process; the folder is removed at exit).
std::string converted_model(const std::string& model, WeightType wt = WeightType::TernT2,
                            EmbdType et = EmbdType::F16);

// Kernels that can run on this CPU.
std::vector<const kernels::Kernel*> runnable_kernels();

struct Diff {
  double max_abs = 0;
  int64_t top1_agree = 0;
  int64_t rows = 0;
};
// Compares [rows x cols] logits (a against reference b).
Diff compare(const float* a, const float* b, int64_t rows, int64_t cols);
int64_t argmax(const float* x, int64_t n);
// Smallest top1 - top2 gap of a row.
double margin(const float* x, int64_t n);

// Every position's logits of `ids` from a fresh session.
std::vector<float> eval_all(std::shared_ptr<const Model> model, const std::vector<int32_t>& ids,
                            const SessionOptions& opts);

}  // namespace tern::test
