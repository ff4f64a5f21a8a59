// The backend table: one choice per entry, the best this CPU runs by default; TERN_KERNEL /
// --kernel force the ternary kernel, every entry ("scalar") or single entries
// ("attention=scalar"); bad names fail with the names that run here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "platform/environment.h"
#include "kernels/backend.h"
#include "kernels/impl_counter.h"
#include "tern/error.h"

namespace tern::kernels {
namespace {

constexpr Entry kEntries[] = {Entry::Ternary, Entry::Quantize, Entry::Attention,
                              Entry::Float,   Entry::Head,     Entry::Q8Head};

std::string error_of(const std::string& request) {
  try {
    select_backend(request, "--kernel", "requested by name");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BackendTable, BestFillsEveryEntryWithASupportedImplementation) {
  const Backend& b = best_backend();
  ASSERT_NE(b.ternary, nullptr);
  ASSERT_NE(b.quantize, nullptr);
  ASSERT_NE(b.attention, nullptr);
  ASSERT_NE(b.float_ops, nullptr);
  ASSERT_NE(b.head, nullptr);
  ASSERT_NE(b.q8_head, nullptr);
  for (const EntryInfo& e : describe_backend(b)) {
    ASSERT_FALSE(e.impls.empty()) << e.entry;
    EXPECT_EQ(e.impls.back().name, "scalar") << e.entry;
    bool found = false;
    for (const ImplInfo& i : e.impls) {
      if (i.name != e.chosen) continue;
      found = true;
      EXPECT_TRUE(i.supported) << e.entry;
      // The first supported implementation is the choice.
      break;
    }
    EXPECT_TRUE(found) << e.entry << " chose " << e.chosen;
    for (const ImplInfo& i : e.impls) {
      if (i.supported) {
        EXPECT_EQ(i.name, e.chosen) << e.entry;
        break;
      }
    }
    EXPECT_EQ(e.why.rfind(e.chosen + ":", 0), 0u) << e.why;
  }
}

TEST(BackendTable, ScalarMeansEveryEntryScalar) {
  const Backend b = select_backend("scalar", "--kernel", "requested by name");
  for (Entry e : kEntries) {
    EXPECT_STREQ(b.impl_name(e), "scalar") << entry_name(e);
    EXPECT_EQ(b.why_of(e), "requested by name") << entry_name(e);
  }
  EXPECT_STREQ(scalar_backend().impl_name(Entry::Head), "scalar");
}

TEST(BackendTable, EntryItemsForceOneEntryEach) {
  const Backend& best = best_backend();
  const Backend b = select_backend("attention=scalar, float=scalar", "--kernel", "requested by name");
  EXPECT_STREQ(b.attention->name, "scalar");
  EXPECT_STREQ(b.float_ops->name, "scalar");
  EXPECT_EQ(b.ternary, best.ternary);
  EXPECT_EQ(b.quantize, best.quantize);
  EXPECT_EQ(b.head, best.head);
  EXPECT_EQ(b.why_of(Entry::Ternary), best.why_of(Entry::Ternary));
  // Later items win: all scalar but attention.
  const Backend c = select_backend("scalar,attention=xsimd", "--kernel", "x");
  EXPECT_STREQ(c.attention->name, "xsimd");
  EXPECT_STREQ(c.ternary->name, "scalar");
  EXPECT_STREQ(c.head->name, "scalar");
  // A ternary kernel by name leaves the other entries at their best.
  const Backend d = select_backend(best.ternary->name, "--kernel", "x");
  EXPECT_EQ(d.ternary, best.ternary);
  EXPECT_EQ(d.head, best.head);
  const Backend e = select_backend("ternary=scalar", "--kernel", "x");
  EXPECT_STREQ(e.ternary->name, "scalar");
  EXPECT_EQ(e.quantize, best.quantize);
}

TEST(BackendTable, BadNamesListWhatRunsHere) {
  std::string msg = error_of("avx9-magic");
  EXPECT_NE(msg.find("--kernel: unknown kernel 'avx9-magic'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("scalar"), std::string::npos) << msg;
  msg = error_of("attention=gpu");
  EXPECT_NE(msg.find("unknown attention implementation 'gpu'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("xsimd"), std::string::npos) << msg;
  msg = error_of("softmax=scalar");
  EXPECT_NE(msg.find("unknown backend entry 'softmax'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ternary, quantize, attention, float, head, q8head"), std::string::npos) << msg;
  msg = error_of("scalar,,attention=scalar");
  EXPECT_NE(msg.find("empty item"), std::string::npos) << msg;
  for (const EntryInfo& e : describe_backend(best_backend())) {
    for (const ImplInfo& i : e.impls) {
      if (i.supported) continue;
      msg = error_of(e.entry + "=" + i.name);
      EXPECT_NE(msg.find("needs " + i.needs), std::string::npos) << msg;
    }
  }
}

TEST(BackendTable, EnvironmentIsReadBySelectBackendFromEnv) {
  const char* old = std::getenv("TERN_KERNEL");
  const std::string saved = old ? old : "";
  tern::set_env("TERN_KERNEL", "quantize=scalar");
  const Backend b = select_backend_from_env();
  EXPECT_STREQ(b.quantize->name, "scalar");
  EXPECT_EQ(b.why_of(Entry::Quantize), "TERN_KERNEL=quantize=scalar");
  std::string why;
  EXPECT_EQ(&select_kernel(&why), best_backend().ternary);  // the ternary entry is not forced
  tern::set_env("TERN_KERNEL", "attention=nope");
  EXPECT_THROW(select_backend_from_env(), Error);
  if (old != nullptr) {
    tern::set_env("TERN_KERNEL", saved.c_str());
  } else {
    tern::unset_env("TERN_KERNEL");
  }
}

TEST(BackendTable, EveryImplementationHasACounter) {
  for (const EntryInfo& e : describe_backend(best_backend())) {
    for (const ImplInfo& i : e.impls) {
      bool found = false;
      for (const ImplCounter* c : all_impl_counters()) found = found || (e.entry == c->entry && i.name == c->impl);
      EXPECT_TRUE(found) << e.entry << "=" << i.name;
    }
  }
  for (const ImplCounter* c : all_impl_counters()) EXPECT_EQ(c->simd, std::string(c->impl) != "scalar") << c->impl;
}

}  // namespace
}  // namespace tern::kernels
