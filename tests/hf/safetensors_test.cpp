// safetensors reader: the golden files parse with the right tensors; a table of hostile
// headers each fails with one tern::Error naming the file and the field; truncations and
// byte corruptions of a real header never crash; sharded checkpoints resolve through the index.
#include <gtest/gtest.h>

#include "hf/safetensors.h"
#include "hf_test_util.h"
#include "tern/error.h"

namespace tern::hf::test {
namespace {

TEST(Safetensors, GoldenTinyAHeader) {
  const SafetensorsFile f = SafetensorsFile::open(golden("tiny-a") + "/model.safetensors");
  const StTensor* k = f.find("model.layers.0.self_attn.k_proj.weight");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->dtype, Dtype::U8);
  EXPECT_EQ(k->shape, (std::vector<uint64_t>{16, 256}));
  EXPECT_EQ(k->data.size(), 16u * 256);
  EXPECT_EQ(k->data[0], 165);  // the golden README's worked example
  const StTensor* e = f.find("model.embed_tokens.weight");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->dtype, Dtype::BF16);
  EXPECT_EQ(e->shape, (std::vector<uint64_t>{1000, 256}));
  EXPECT_EQ(f.metadata().at("format"), "pt");
  // Offsets are in increasing order and tile the data section.
  for (size_t i = 1; i < f.tensors().size(); ++i) {
    EXPECT_EQ(f.tensors()[i - 1].data.data() + f.tensors()[i - 1].data.size(), f.tensors()[i].data.data());
  }
}

TEST(Safetensors, BuiltImageRoundTrip) {
  auto img = st_build({{"a", "F32", {2, 3}, std::vector<uint8_t>(24, 1)}, {"b", "BF16", {4}, std::vector<uint8_t>(8, 2)},
                       {"empty", "U8", {0, 5}, {}}});
  const SafetensorsFile f = SafetensorsFile::parse(img, "x.safetensors");
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.find("b")->data.size(), 8u);
  EXPECT_EQ(f.find("b")->data[0], 2);
  EXPECT_EQ(f.find("empty")->n_elements(), 0u);
}

struct BadCase {
  const char* name;
  std::vector<uint8_t> image;
  const char* expect;  // a substring of the message
};

std::vector<BadCase> bad_cases() {
  auto hdr = [](const std::string& h, size_t data = 16) { return st_image(h, std::vector<uint8_t>(data, 0)); };
  std::vector<BadCase> v;
  v.push_back({"empty file", {}, "too short"});
  v.push_back({"7 bytes", std::vector<uint8_t>(7, 0), "too short"});
  {
    auto img = hdr("{}");
    img[0] = 0xff;
    img[5] = 0x01;  // header length far beyond the file
    v.push_back({"header length beyond file", img, "header length"});
  }
  {
    std::vector<uint8_t> img(8, 0xff);
    v.push_back({"header length 2^64-1", img, "header length"});
  }
  v.push_back({"header not JSON", hdr("{\"a\": [1, 2"), "invalid JSON"});
  v.push_back({"header is an array", hdr("[1,2,3]"), "expected an object"});
  v.push_back({"tensor not an object", hdr(R"({"t": 5})"), "tensor 't'"});
  v.push_back({"missing dtype", hdr(R"({"t": {"shape": [4], "data_offsets": [0, 4]}})"), "dtype: missing"});
  v.push_back({"unknown dtype", hdr(R"({"t": {"dtype": "Q4", "shape": [4], "data_offsets": [0, 4]}})"), "unknown dtype 'Q4'"});
  v.push_back({"dtype not a string", hdr(R"({"t": {"dtype": 7, "shape": [4], "data_offsets": [0, 4]}})"), "expected a string"});
  v.push_back({"negative dim", hdr(R"({"t": {"dtype": "U8", "shape": [-4], "data_offsets": [0, 4]}})"), "out of range"});
  v.push_back({"float dim", hdr(R"({"t": {"dtype": "U8", "shape": [4.5], "data_offsets": [0, 4]}})"), "expected an integer"});
  v.push_back({"shape not array", hdr(R"({"t": {"dtype": "U8", "shape": 4, "data_offsets": [0, 4]}})"), "expected an array"});
  v.push_back({"element count overflow",
               hdr(R"({"t": {"dtype": "U8", "shape": [4294967296, 4294967296, 2], "data_offsets": [0, 4]}})"), "overflows"});
  v.push_back({"byte size overflow",
               hdr(R"({"t": {"dtype": "F64", "shape": [4611686018427387904], "data_offsets": [0, 4]}})"), "overflows"});
  v.push_back({"three offsets", hdr(R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4, 8]}})"), "expected [begin, end]"});
  v.push_back({"begin > end", hdr(R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": [8, 4]}})"), "begin 8 > end 4"});
  v.push_back({"end beyond data", hdr(R"({"t": {"dtype": "U8", "shape": [32], "data_offsets": [0, 32]}})"), "exceeds the data section"});
  v.push_back({"size mismatch", hdr(R"({"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}})"), "needs 16"});
  v.push_back({"overlap",
               hdr(R"({"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]}, "b": {"dtype": "U8", "shape": [8], "data_offsets": [4, 12]}})"),
               "overlap"});
  v.push_back({"metadata not object", hdr(R"({"__metadata__": [1]})"), "__metadata__"});
  v.push_back({"metadata value not string", hdr(R"({"__metadata__": {"format": 1}})"), "/__metadata__/format"});
  v.push_back({"offsets not integers", hdr(R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": ["0", "4"]}})"), "expected an integer"});
  return v;
}

TEST(Safetensors, HostileHeadersFailNamingFileAndField) {
  const auto cases = bad_cases();
  ASSERT_GE(cases.size(), 10u);
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      (void)SafetensorsFile::parse(c.image, "bad.safetensors");
      ADD_FAILURE() << "accepted: " << c.name;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("bad.safetensors"), std::string::npos) << msg;
      EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    }
  }
}

TEST(Safetensors, HostileFilesOnDiskToo) {
  TempDir dir;
  for (const BadCase& c : bad_cases()) {
    const std::string p = dir.str("case.safetensors");
    write_bytes(p, c.image);
    EXPECT_THROW((void)SafetensorsFile::open(p), Error) << c.name;
  }
  EXPECT_THROW((void)SafetensorsFile::open(dir.str("missing.safetensors")), Error);
}

// Every truncation of the golden header region and a sweep of single-byte corruptions must
// parse or throw tern::Error, never crash (ASan checks the reads).
TEST(Safetensors, TruncationsAndCorruptionsNeverCrash) {
  const auto full = read_bytes(golden("tiny-a") + "/model.safetensors");
  ASSERT_GT(full.size(), 4096u);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | full[static_cast<size_t>(i)];
  int rejected = 0;
  for (size_t n = 0; n < 8 + hlen + 64; n += (n < 64 ? 1 : 97)) {
    std::vector<uint8_t> img(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    try {
      (void)SafetensorsFile::parse(img, "t.safetensors");
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
  std::mt19937 rng(7);
  std::vector<uint8_t> img(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(8 + hlen + 4096));
  for (int i = 0; i < 2000; ++i) {
    auto mutated = img;
    const size_t pos = 8 + rng() % hlen;
    mutated[pos] = static_cast<uint8_t>(rng());
    try {
      (void)SafetensorsFile::parse(mutated, "m.safetensors");
    } catch (const Error&) {
    }
  }
}

TEST(Safetensors, ShardedCheckpointThroughIndex) {
  TempDir dir;
  write_bytes(dir.str("model-00001-of-00002.safetensors"), st_build({{"a", "U8", {4}, {1, 2, 3, 4}}}));
  write_bytes(dir.str("model-00002-of-00002.safetensors"), st_build({{"b", "BF16", {2}, {0, 0x3f, 0, 0x40}}}));
  write_text(dir.str("model.safetensors.index.json"),
             R"({"metadata": {"total_size": 8}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}})");
  const Checkpoint c = Checkpoint::open(dir.str());
  EXPECT_EQ(c.files().size(), 2u);
  EXPECT_EQ(c.tensor("a").data[3], 4);
  EXPECT_EQ(c.tensor("b").dtype, Dtype::BF16);
  EXPECT_EQ(c.all().size(), 2u);
  try {
    (void)c.tensor("zzz");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'zzz'"), std::string::npos);
  }
  // The index names a tensor its shard lacks.
  write_text(dir.str("model.safetensors.index.json"),
             R"({"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors"}})");
  try {
    (void)Checkpoint::open(dir.str());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/weight_map/b"), std::string::npos) << e.what();
  }
  // A shard path that escapes the folder.
  write_text(dir.str("model.safetensors.index.json"), R"({"weight_map": {"a": "../x.safetensors"}})");
  EXPECT_THROW((void)Checkpoint::open(dir.str()), Error);
  // A missing shard file.
  write_text(dir.str("model.safetensors.index.json"), R"({"weight_map": {"a": "nope.safetensors"}})");
  EXPECT_THROW((void)Checkpoint::open(dir.str()), Error);
}

TEST(Safetensors, EmptyFolderIsAnError) {
  TempDir dir;
  try {
    (void)Checkpoint::open(dir.str());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos);
  }
}

}  // namespace
}  // namespace tern::hf::test
