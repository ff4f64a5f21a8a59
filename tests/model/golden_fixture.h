// What the golden-model tests share: which golden models there are, the session options of
// a golden comparison, and the exact model's final hidden states for a sequence (the input
// a quantized lm_head is measured on).
#pragma once

#include <algorithm>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model_test_util.h"

namespace tern::test {

// Every folder of ../shared/golden with a golden/golden.json, sorted.
inline std::vector<std::string> golden_models() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(shared_dir() / "golden")) {
    if (std::filesystem::exists(e.path() / "golden" / "golden.json")) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A float32 KV cache (the reference keeps float32 keys and values) and room for every
// golden sequence. threads = 0: all hardware threads.
inline SessionOptions golden_session_options(int threads = 0) {
  SessionOptions o;
  o.kv_type = KvType::F32;
  o.n_threads = threads;
  o.n_ctx = 256;
  return o;
}

// Load options that force one ternary kernel (the golden tests run every runnable one).
inline ModelOptions kernel_options(const kernels::Kernel* k) {
  ModelOptions mo;
  mo.kernel = k->name;
  return mo;
}

struct HiddenAndLogits {
  std::vector<float> hidden;  // n x n_embd: the final norm's output, what the lm_head reads
  std::vector<float> logits;  // n x n_vocab
};

// One fresh session of `model` over `ids`: the final hidden state and the logits of every
// position.
inline HiddenAndLogits final_hidden_and_logits(const std::shared_ptr<const Model>& model, const std::vector<int32_t>& ids,
                                               const SessionOptions& so) {
  const int64_t n = static_cast<int64_t>(ids.size()), E = model->hparams().n_embd;
  const int final_index = static_cast<int>(model->hparams().n_layer + 1);
  HiddenAndLogits out;
  out.hidden.resize(static_cast<size_t>(n * E));
  Session s(model, so);
  s.set_hidden_hook([&](int index, int64_t pos, std::span<const float> h) {
    if (index == final_index) std::copy(h.begin(), h.end(), out.hidden.begin() + pos * E);
  });
  const auto l = s.eval_all(ids);
  out.logits.assign(l.begin(), l.end());
  return out;
}

}  // namespace tern::test
