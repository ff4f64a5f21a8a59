// 0-dimensional tensors. ggml's gguf reader (llama.cpp ggml/src/gguf.cpp, gguf_init_from_file)
// accepts n_dims 0 and sets every dimension it does not read to 1, so a 0-d tensor is one
// element with ne = [1, 1, 1, 1]; ik_llama.cpp's converter writes its per-tensor `.scale`
// values that way. tern reads such a tensor as dims [1].
// GCC 12 at -O3 inlines gguf_test_util.h's byte builder into these small functions and then
// reports a vector::insert into a freshly grown buffer as an overflow of "a region of size 0"
// (a known -Wstringop-overflow false positive of libstdc++ 12); the builder is bounds-safe.
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning (the macOS build)
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "gguf/gguf_file.h"
#include "gguf_test_util.h"

namespace tern::gguf::test {
namespace {

constexpr uint32_t kF32 = 0;

// A tensor info with n_dims 0: name, u32 0, u32 type, u64 offset.
Bytes scalar_info(const std::string& name, uint64_t offset) {
  Bytes b;
  b.str(name).u32(0).u32(kF32).u64(offset);
  return b;
}

// "w" F32 [4] at 0, then the scalar "w.scale" (n_dims 0) at 32 holding 0.25f.
std::vector<uint8_t> file_with_scalar() {
  RawFile f;
  f.kvs.push_back(kv_str("general.architecture", "test"));
  f.tensors.push_back(tensor_info({"w", {4}, kF32, 0}));
  f.tensors.push_back(scalar_info("w.scale", 32));
  f.data_bytes = 64;
  std::vector<uint8_t> image = f.encode();
  const float v = 0.25f;
  std::memcpy(image.data() + image.size() - 64 + 32, &v, 4);
  return image;
}

TEST(ScalarTensor, NDims0IsOneElementLikeGgml) {
  const std::vector<uint8_t> image = file_with_scalar();
  const File f = File::parse(image, "scalar.gguf");
  const TensorInfo& s = f.tensor("w.scale");
  ASSERT_EQ(s.dims.size(), 1u);
  EXPECT_EQ(s.dims[0], 1u);
  EXPECT_EQ(s.n_elements(), 1u);
  EXPECT_EQ(s.rows(), 1u);
  EXPECT_EQ(s.nbytes, 4u);
  float v = 0;
  std::memcpy(&v, s.data, 4);
  EXPECT_EQ(v, 0.25f);
  EXPECT_EQ(f.tensor("w").dims, std::vector<uint64_t>{4});
}

// A file made of scalar tensor infos (25 bytes each, the smallest a tensor info can be) and
// their 4-byte values at alignment 4 holds 29 bytes per tensor: the tensor-count bound must
// budget 25 bytes per info, not the 33 of a 1-d one, or it refuses this valid file.
TEST(ScalarTensor, ManyScalarsFitTheCountBound) {
  constexpr int kN = 64;
  RawFile f;
  f.alignment = 4;
  f.kvs.push_back(kv_u32("general.alignment", 4));
  for (int i = 0; i < kN; ++i) {  // one-character names '!'..'`'
    f.tensors.push_back(scalar_info(std::string(1, static_cast<char>('!' + i)), uint64_t(4 * i)));
  }
  f.data_bytes = 4 * kN;
  const std::vector<uint8_t> image = f.encode();
  ASSERT_LT(image.size(), 24u + 33u * kN);  // smaller than kN one-dimensional infos alone
  const File file = File::parse(image, "scalars.gguf");
  EXPECT_EQ(file.tensors().size(), size_t{kN});
}

// ik_llama.cpp's F32 conversion of bitnet158-latent-a: 14 `.scale` tensors written with
// n_dims 0 (/work/peers/families/README.md). Skipped where the peer files are absent.
TEST(ScalarTensor, IkLlamaCppConverterOutputOpens) {
  const std::string path = "/work/peers/families/bitnet158-latent-a/bitnet158-latent-a-ikllamacpp-convert-f32.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  const File f = File::open(path);
  int scales = 0;
  for (const TensorInfo& t : f.tensors()) {
    if (t.name.size() > 6 && t.name.compare(t.name.size() - 6, 6, ".scale") == 0) {
      ++scales;
      EXPECT_EQ(t.type, TensorType::F32) << t.name;
      EXPECT_EQ(t.dims, std::vector<uint64_t>{1}) << t.name;
      float v = 0;
      std::memcpy(&v, t.data, 4);
      EXPECT_GT(v, 0.0f) << t.name;
    }
  }
  EXPECT_EQ(scales, 14);
}

}  // namespace
}  // namespace tern::gguf::test
