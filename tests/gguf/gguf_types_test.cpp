// The type table: ids, names, and tensor sizes worked out by hand from the formats
// (PEERS.md §4.3-4.5 for the peers' types, gguf_types.h for tern's).
#include <gtest/gtest.h>

#include "gguf/gguf_types.h"
#include "tern/error.h"

namespace tern::gguf {
namespace {

uint64_t nbytes(TensorType t, std::vector<uint64_t> dims) { return tensor_nbytes(t, dims, "t"); }

TEST(TypeTable, IdsMatchGgmlAndBitnetCpp) {
  EXPECT_EQ(type_traits(0u)->type, TensorType::F32);
  EXPECT_EQ(type_traits(1u)->type, TensorType::F16);
  EXPECT_EQ(type_traits(2u)->type, TensorType::Q4_0);
  EXPECT_EQ(type_traits(8u)->type, TensorType::Q8_0);
  EXPECT_EQ(type_traits(14u)->type, TensorType::Q6_K);
  EXPECT_EQ(type_traits(30u)->type, TensorType::BF16);
  EXPECT_EQ(type_traits(34u)->type, TensorType::TQ1_0);
  EXPECT_EQ(type_traits(35u)->type, TensorType::TQ2_0);
  EXPECT_EQ(type_traits(36u)->type, TensorType::I2_S);
  EXPECT_EQ(type_traits(38u)->type, TensorType::TL1);
  EXPECT_EQ(type_traits(39u)->type, TensorType::TL2);
  EXPECT_FALSE(type_traits(3u).has_value());
  EXPECT_FALSE(type_traits(37u).has_value());
  EXPECT_FALSE(type_traits(0xFFFFFFFFu).has_value());
  EXPECT_FALSE(type_traits(TensorType::TL2)->loadable);
  EXPECT_FALSE(type_traits(TensorType::TL1)->loadable);
  EXPECT_TRUE(type_traits(TensorType::TERN_T2)->loadable);
}

TEST(TypeTable, NamesRoundTrip) {
  for (uint32_t id : {0u, 1u, 2u, 8u, 14u, 30u, 34u, 35u, 36u, 38u, 39u, 0x7E524E01u, 0x7E524E02u}) {
    const auto t = type_traits(id);
    ASSERT_TRUE(t.has_value()) << id;
    EXPECT_EQ(type_from_name(type_name(t->type)), t->type) << id;
  }
  EXPECT_STREQ(type_name(TensorType::TERN_T2), "TERN_T2");
  EXPECT_STREQ(type_name(TensorType::I2_S), "I2_S");
  EXPECT_STREQ(type_name(static_cast<TensorType>(12345)), "unknown");
  EXPECT_FALSE(type_from_name("Q5_K").has_value());
}

TEST(TypeSizes, BlockTypes) {
  EXPECT_EQ(nbytes(TensorType::F32, {3, 5}), 60u);
  EXPECT_EQ(nbytes(TensorType::F16, {3, 5}), 30u);
  EXPECT_EQ(nbytes(TensorType::BF16, {7}), 14u);
  EXPECT_EQ(nbytes(TensorType::Q4_0, {64, 3}), 2u * 18 * 3);
  EXPECT_EQ(nbytes(TensorType::Q8_0, {96, 2, 2}), 3u * 34 * 4);
  EXPECT_EQ(nbytes(TensorType::Q6_K, {512, 3}), 2u * 210 * 3);
  EXPECT_EQ(nbytes(TensorType::TQ1_0, {2560, 6912}), 10u * 54 * 6912);
  EXPECT_EQ(nbytes(TensorType::TQ2_0, {2560, 640}), 10u * 66 * 640);
}

// The peers' default embedding types and ik_llama.cpp's ternary type (ggml-common.h block
// structs of llama.cpp 0253fb21f and ik_llama.cpp 8337e4cd; ik's ggml_row_size adds the
// type's row_meta_size, 4 bytes for IQ2_BN).
TEST(TypeTable, PeerEmbeddingTypesAndIq2Bn) {
  EXPECT_EQ(type_traits(12u)->type, TensorType::Q4_K);
  EXPECT_EQ(type_traits(20u)->type, TensorType::IQ4_NL);
  EXPECT_EQ(type_traits(135u)->type, TensorType::IQ2_BN);
  for (uint32_t id : {12u, 20u, 135u}) EXPECT_EQ(type_from_name(type_name(type_traits(id)->type)), type_traits(id)->type);
  EXPECT_EQ(nbytes(TensorType::Q4_K, {512, 3}), 2u * 144 * 3);
  EXPECT_EQ(nbytes(TensorType::IQ4_NL, {64, 2}), 2u * 18 * 2);
  EXPECT_EQ(nbytes(TensorType::IQ2_BN, {256, 3}), 3u * (4 + 64));
  EXPECT_EQ(nbytes(TensorType::IQ2_BN, {640, 256}), 256u * (4 + 160));  // llama158-rope-a ffn_down
  EXPECT_EQ(nbytes(TensorType::IQ2_BN, {64, 1, 2}), 2u * (4 + 16));
  EXPECT_THROW(nbytes(TensorType::IQ2_BN, {96, 2}), tern::Error);
  EXPECT_THROW(nbytes(TensorType::Q4_K, {128, 2}), tern::Error);
  EXPECT_THROW(nbytes(TensorType::IQ4_NL, {48, 2}), tern::Error);
}

TEST(TypeSizes, BitnetCppI2S) {
  // ggml_nbytes special case: n_elements / 4 + 32.
  EXPECT_EQ(nbytes(TensorType::I2_S, {2560, 6912}), 2560ull * 6912 / 4 + 32);
  EXPECT_EQ(nbytes(TensorType::I2_S, {256, 64}), 256u * 64 / 4 + 32);
  EXPECT_THROW(nbytes(TensorType::I2_S, {200, 2}), tern::Error);
  EXPECT_EQ(nbytes(TensorType::TL1, {256, 4}), 256u + 32);
}

TEST(TypeSizes, BitnetCppTL2) {
  // (ne0-256)*ne1/3*5/8 + 256*ne1/2*4/8, rounded up to 32, + 32; for 2560 x 2560:
  // 2304*2560/3 = 1966080; *5/8 = 1228800; 256*2560/2*4/8 = 163840; sum 1392640 (aligned) + 32.
  EXPECT_EQ(nbytes(TensorType::TL2, {2560, 2560}), 1392640u + 32);
  EXPECT_THROW(nbytes(TensorType::TL2, {128, 2}), tern::Error);
}

TEST(TypeSizes, TernTypesPadRows) {
  // TERN_T2: 32 bytes per 128 elements, rows padded to 128, then a 32-byte trailer.
  EXPECT_EQ(nbytes(TensorType::TERN_T2, {128, 1}), 32u + 32);
  EXPECT_EQ(nbytes(TensorType::TERN_T2, {129, 1}), 64u + 32);
  EXPECT_EQ(nbytes(TensorType::TERN_T2, {2560, 6912}), 2560ull / 4 * 6912 + 32);
  EXPECT_EQ(nbytes(TensorType::TERN_T2, {1, 3, 2}), 6u * 32 + 32);
  // TERN_T1: 32 bytes per 160 elements, rows padded to 160, then the trailer.
  EXPECT_EQ(nbytes(TensorType::TERN_T1, {160, 1}), 32u + 32);
  EXPECT_EQ(nbytes(TensorType::TERN_T1, {256, 1}), 64u + 32);
  EXPECT_EQ(nbytes(TensorType::TERN_T1, {321, 2}), 2u * 96 + 32);
  EXPECT_EQ(nbytes(TensorType::TERN_T1, {2560, 6912}), 2560ull / 5 * 6912 + 32);
  EXPECT_EQ(nbytes(TensorType::TERN_T1, {6912, 2560}), 7040ull / 5 * 2560 + 32);
}

TEST(TypeSizes, OverflowAndBadDimsThrowWithPrefix) {
  auto msg = [](TensorType t, std::vector<uint64_t> d) {
    try {
      tensor_nbytes(t, d, "f.gguf: tensor 'w'");
    } catch (const tern::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(msg(TensorType::F32, {uint64_t{1} << 62}), "f.gguf: tensor 'w': tensor size overflows 64 bits");
  EXPECT_EQ(msg(TensorType::F32, {uint64_t{1} << 32, uint64_t{1} << 32}),
            "f.gguf: tensor 'w': element count overflows (dims product exceeds 2^63-1)");
  EXPECT_EQ(msg(TensorType::F32, {4, 0}), "f.gguf: tensor 'w': dimension 1 is 0");
  EXPECT_EQ(msg(TensorType::F32, {}), "f.gguf: tensor 'w': tensor has no dimensions");
  EXPECT_EQ(msg(static_cast<TensorType>(77), {4}), "f.gguf: tensor 'w': unknown tensor type 77");
  EXPECT_EQ(msg(TensorType::TERN_T2, {~uint64_t{0} >> 1, 8}),
            "f.gguf: tensor 'w': element count overflows (dims product exceeds 2^63-1)");
  EXPECT_EQ(msg(TensorType::TERN_T1, {1, uint64_t{1} << 62}), "f.gguf: tensor 'w': tensor size overflows 64 bits");
}

}  // namespace
}  // namespace tern::gguf
