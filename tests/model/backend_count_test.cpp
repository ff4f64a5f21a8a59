// Which implementations a forward pass runs, counted inside them (kernels/impl_counter.h):
// the all-scalar backend (--kernel / TERN_KERNEL "scalar") runs no SIMD implementation and
// the scalar one of every entry, and still matches the golden logits; the default backend
// runs this CPU's best implementation of each entry; a single forced entry changes only
// that entry. A call site that bypassed the model's backend (a global chooser, a direct
// call of a SIMD function) shows up as a counter that should be zero.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden_fixture.h"
#include "kernels/backend.h"
#include "kernels/impl_counter.h"
#include "tern/error.h"

namespace tern::test {
namespace {

using kernels::ImplCounter;

const char* const kModel = "tiny-a";  // tied F16 head, ReLU², rotate-half RoPE

uint64_t calls(const std::string& entry, const std::string& impl) {
  for (const ImplCounter* c : kernels::all_impl_counters()) {
    if (entry == c->entry && impl == c->impl) return c->calls.load();
  }
  ADD_FAILURE() << "no counter " << entry << "=" << impl;
  return 0;
}

// Prefill of the golden len33 sequence (the GEMM paths) checked against the golden logits,
// then four greedy decode steps (the GEMV paths) checked against the golden ids.
void prefill_and_decode(const std::shared_ptr<const Model>& m) {
  const nlohmann::json& g = golden_json(kModel);
  for (const nlohmann::json& seq : g["sequences"]) {
    if (seq["name"] != "len33") continue;
    const auto ids = seq["ids"].get<std::vector<int32_t>>();
    const int64_t n = static_cast<int64_t>(ids.size()), V = seq["logits"]["shape"][1];
    const std::vector<float> ref = read_f32(golden_dir(kModel) / "golden" / seq["logits"]["file"].get<std::string>());
    const std::vector<float> got = eval_all(m, ids, golden_session_options(2));
    ASSERT_EQ(got.size(), ref.size());
    EXPECT_LE(compare(got.data(), ref.data(), n, V).max_abs, 1e-3);
  }
  const nlohmann::json& gr = g["greedy"];
  const auto want = gr["new_ids"].get<std::vector<int32_t>>();
  const int64_t V = gr["step_logits"]["shape"][1];
  Session s(m, golden_session_options(2));
  std::span<const float> logits = s.eval(gr["prompt_ids"].get<std::vector<int32_t>>());
  for (size_t j = 0; j < 4; ++j) {
    const int32_t next = static_cast<int32_t>(argmax(logits.data(), V));
    ASSERT_EQ(next, want[j]) << "step " << j;
    logits = s.eval(std::span<const int32_t>(&next, 1));
  }
}

ModelOptions request(const std::string& r) {
  ModelOptions o;
  o.kernel = r;
  return o;
}

TEST(BackendCount, AllScalarRunsNoSimdAndEveryScalarEntry) {
  auto m = Model::load(converted_model(kModel), request("scalar"));
  // A Q8_0 head exercises the q8head entry (its logits are approximate: no golden check).
  auto q8 = Model::load(converted_model(kModel, WeightType::TernT2, EmbdType::Q8_0), request("scalar"));
  kernels::reset_impl_counters();
  prefill_and_decode(m);
  Session(q8, golden_session_options(2)).eval(std::vector<int32_t>{1, 2, 3});
  for (const ImplCounter* c : kernels::all_impl_counters()) {
    if (c->simd) {
      EXPECT_EQ(c->calls.load(), 0u) << c->entry << "=" << c->impl << " ran under --kernel scalar";
    }
  }
  for (const char* entry : {"ternary", "quantize", "attention", "float", "head", "q8head"}) {
    EXPECT_GT(calls(entry, "scalar"), 0u) << entry;
  }
}

TEST(BackendCount, DefaultRunsTheBestOfEachEntry) {
  const kernels::Backend& best = kernels::best_backend();
  auto m = Model::load(converted_model(kModel), request(""));
  kernels::reset_impl_counters();
  prefill_and_decode(m);
  for (kernels::Entry e : {kernels::Entry::Ternary, kernels::Entry::Quantize, kernels::Entry::Attention,
                           kernels::Entry::Float, kernels::Entry::Head}) {
    const std::string entry = kernels::entry_name(e), impl = best.impl_name(e);
    EXPECT_GT(calls(entry, impl), 0u) << entry << "=" << impl;
    // The model uses rotate-half RoPE and ReLU², which have SIMD code: nothing scalar runs
    // where something better was chosen.
    if (impl != "scalar") {
      EXPECT_EQ(calls(entry, "scalar"), 0u) << entry;
    }
  }
#if defined(__x86_64__) || defined(__aarch64__)
  // Every CPU these builds target has SIMD for the float ops and attention at least.
  EXPECT_STRNE(best.float_ops->name, "scalar");
  EXPECT_STRNE(best.attention->name, "scalar");
#endif
}

TEST(BackendCount, OneForcedEntryChangesOnlyThatEntry) {
  const kernels::Backend& best = kernels::best_backend();
  auto m = Model::load(converted_model(kModel), request("attention=scalar"));
  kernels::reset_impl_counters();
  prefill_and_decode(m);
  EXPECT_GT(calls("attention", "scalar"), 0u);
  if (std::string(best.attention->name) != "scalar") {
    EXPECT_EQ(calls("attention", best.attention->name), 0u);
  }
  EXPECT_GT(calls("float", best.float_ops->name), 0u);
  EXPECT_GT(calls("ternary", best.ternary->name), 0u);
}

// The Arm i8mm GEMM: with i8mm (qemu -cpu max) a model forced to it runs it for the prefill
// and still matches the golden logits; without (-cpu cortex-a53, x86) it is never chosen,
// forcing it fails, and a default prefill does not reach it.
TEST(BackendCount, I8mmKernelRunsWhenChosenAndOnlyWithI8mm) {
  const kernels::Kernel* k = kernels::find_kernel("neon-i8mm");
  if (k != nullptr && k->supported()) {
    auto m = Model::load(converted_model(kModel), request("neon-i8mm"));
    kernels::reset_impl_counters();
    prefill_and_decode(m);
    EXPECT_GT(calls("ternary", "neon-i8mm"), 0u);
    EXPECT_EQ(calls("ternary", "scalar"), 0u);
    return;
  }
  EXPECT_STRNE(kernels::best_backend().ternary->name, "neon-i8mm");
  if (k != nullptr) {
    EXPECT_THROW(Model::load(converted_model(kModel), request("neon-i8mm")), Error);
  }
  auto m = Model::load(converted_model(kModel), request(""));
  kernels::reset_impl_counters();
  prefill_and_decode(m);
  EXPECT_EQ(calls("ternary", "neon-i8mm"), 0u);
}

}  // namespace
}  // namespace tern::test
