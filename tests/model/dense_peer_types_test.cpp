// The peers' default embedding / head types (Q4_K, IQ4_NL, Q6_K) decoded by tern's dense rows
// equal the peers' own dequantizers bit for bit, on the peer files in tests/fixtures/peers.
// The reference hashes were made once, outside the repository, by a 40-line C program that
// opened each file with the peer's own libggml (gguf_init_from_file) and called the type's
// to_float (llama.cpp 0253fb21f ggml_get_type_traits / ik_llama.cpp 8337e4cd
// ggml_internal_get_type_traits) on the whole tensor, then took FNV-1a 64 over the float bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "gguf/gguf_file.h"
#include "model/dense.h"

namespace tern::model {
namespace {

namespace fs = std::filesystem;
using gguf::TensorType;

fs::path fixture(const std::string& model, const std::string& file) {
  return fs::path(TERN_SOURCE_DIR) / "tests" / "fixtures" / "peers" / model / file;
}

uint64_t fnv1a(const std::vector<float>& v) {
  uint64_t h = 1469598103934665603ull;
  const auto* p = reinterpret_cast<const uint8_t*>(v.data());
  for (size_t i = 0; i < v.size() * sizeof(float); ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

struct Case {
  const char* model;
  const char* file;
  const char* tensor;
  TensorType type;
  uint64_t peer_fnv;  // of the peer's to_float over the whole tensor
  float first;        // its first value, for a readable failure
};

const Case kCases[] = {
    // llama.cpp's TQ2_0 defaults: Q4_K token_embd, Q6_K output (llama.cpp's to_float).
    {"llama158-a", "llama158-a-tq2_0.gguf", "token_embd.weight", TensorType::Q4_K, 0x7eb8cb3675e14b02ull, -0x1.8f9cp-5f},
    {"llama158-a", "llama158-a-tq2_0.gguf", "output.weight", TensorType::Q6_K, 0x47660362b83b3f0cull, 0x1.7eb78p-3f},
    // ik_llama.cpp's IQ2_BN defaults: IQ4_NL token_embd, Q6_K output; Q6_K tied (ik's to_float).
    {"llama158-a", "llama158-a-iq2_bn.gguf", "token_embd.weight", TensorType::IQ4_NL, 0x7a1c68e9cd2973f5ull, -0x1.e14p-5f},
    {"llama158-a", "llama158-a-iq2_bn.gguf", "output.weight", TensorType::Q6_K, 0xf86fc1cb835fddb4ull, 0x1.780aap-3f},
    {"llama158-rope-a", "llama158-rope-a-iq2_bn.gguf", "token_embd.weight", TensorType::Q6_K, 0xb03595f148480eb8ull, 0x1.21d48p-4f},
};

class DensePeerType : public ::testing::TestWithParam<Case> {};

TEST_P(DensePeerType, RowsEqualThePeersDequantizer) {
  const Case& c = GetParam();
  const fs::path path = fixture(c.model, c.file);
  ASSERT_TRUE(fs::exists(path)) << path;
  const gguf::File f = gguf::File::open(path.string());
  const gguf::TensorInfo& t = f.tensor(c.tensor);
  ASSERT_EQ(t.type, c.type);
  ASSERT_TRUE(is_dense_type(t.type));
  DenseMatrix m;
  m.type = t.type;
  m.data = t.data;
  m.cols = static_cast<int64_t>(t.dims[0]);
  m.rows = static_cast<int64_t>(t.dims[1]);
  m.row_bytes = dense_row_bytes(t.type, m.cols);
  ASSERT_EQ(m.row_bytes * static_cast<uint64_t>(m.rows), t.nbytes);
  std::vector<float> all(static_cast<size_t>(m.rows * m.cols));
  for (int64_t r = 0; r < m.rows; ++r) dense_row(m, r, all.data() + r * m.cols);
  EXPECT_EQ(all[0], c.first);
  EXPECT_EQ(fnv1a(all), c.peer_fnv) << "tern's decode differs from the peer's to_float";
  // The matmul path (row decode + float dot) agrees with the decoded rows.
  std::vector<float> x(static_cast<size_t>(m.cols));
  for (int64_t i = 0; i < m.cols; ++i) x[static_cast<size_t>(i)] = static_cast<float>((i * 37) % 11) - 5.0f;
  std::vector<float> y(static_cast<size_t>(m.rows));
  dense_matmul(m, x.data(), m.cols, 1, y.data(), m.rows, 0, m.rows);
  for (int64_t r = 0; r < m.rows; r += 97) {
    double ref = 0;
    for (int64_t i = 0; i < m.cols; ++i) ref += static_cast<double>(all[static_cast<size_t>(r * m.cols + i)]) * x[static_cast<size_t>(i)];
    EXPECT_NEAR(y[static_cast<size_t>(r)], ref, 1e-4 * (1 + std::fabs(ref))) << "row " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Peers, DensePeerType, ::testing::ValuesIn(kCases), [](const auto& info) {
  std::string n = std::string(info.param.file) + "_" + info.param.tensor;
  for (char& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

TEST(DensePeerType, HeadNotesAreHonestAboutQ4KAndIq4Nl) {
  for (const char* t : {"Q4_K", "IQ4_NL"}) {
    const std::string note = head_accuracy_note(t);
    EXPECT_EQ(note.rfind("approximate: ", 0), 0u) << t << ": " << note;
    EXPECT_NE(note.find("not measured"), std::string::npos) << t << ": " << note;
  }
}

}  // namespace
}  // namespace tern::model
