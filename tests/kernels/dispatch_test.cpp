// The dispatch point: best supported kernel by default, TERN_KERNEL forces, errors list names.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "platform/environment.h"
#include "kernels/ternary.h"
#include "tern/error.h"

namespace tern::kernels {
namespace {

struct EnvGuard {
  EnvGuard() {
    const char* v = std::getenv("TERN_KERNEL");
    had = v != nullptr;
    if (had) old = v;
  }
  ~EnvGuard() {
    if (had) {
      tern::set_env("TERN_KERNEL", old.c_str());
    } else {
      tern::unset_env("TERN_KERNEL");
    }
  }
  bool had = false;
  std::string old;
};

TEST(KernelDispatch, DefaultIsHighestPrioritySupported) {
  EnvGuard guard;
  tern::unset_env("TERN_KERNEL");
  std::string why;
  const Kernel& k = select_kernel(&why);
  EXPECT_TRUE(k.supported());
  for (const Kernel* other : all_kernels()) {
    if (other->supported()) {
      EXPECT_LE(other->priority, k.priority) << other->name;
    }
  }
  EXPECT_EQ(why.rfind(std::string(k.name) + ":", 0), 0u) << why;
  EXPECT_EQ(all_kernels().back()->name, std::string("scalar"));
}

TEST(KernelDispatch, EnvironmentForcesAKernel) {
  EnvGuard guard;
  tern::set_env("TERN_KERNEL", "scalar");
  std::string why;
  EXPECT_STREQ(select_kernel(&why).name, "scalar");
  EXPECT_EQ(why, "TERN_KERNEL=scalar");
}

TEST(KernelDispatch, UnknownNameListsTheValidOnes) {
  EnvGuard guard;
  tern::set_env("TERN_KERNEL", "avx9-magic");
  try {
    select_kernel();
    FAIL() << "expected tern::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("avx9-magic"), std::string::npos) << msg;
    EXPECT_NE(msg.find("scalar"), std::string::npos) << msg;
  }
  EXPECT_THROW(kernel_by_name("nope"), Error);
  EXPECT_STREQ(kernel_by_name("scalar").name, "scalar");
}

TEST(KernelDispatch, UnsupportedKernelIsRefused) {
  for (const Kernel* k : all_kernels()) {
    if (k->supported()) continue;
    EXPECT_THROW(kernel_by_name(k->name), Error) << k->name;
  }
}

}  // namespace
}  // namespace tern::kernels
