// Loading a foreign ternary file (I2_S, TQ1_0): the TERN_T2 bytes and scales do not depend
// on the load thread count or on whether they came from the repack cache
// (src/model/repack_cache.h); stale, corrupt, truncated and hostile cache files are misses
// that get rebuilt, and an unwritable cache folder only means no cache.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "platform/environment.h"
#include "model/model_data.h"
#include "model/repack_cache.h"
#include "model/model_test_util.h"

namespace tern {
namespace {

namespace fs = std::filesystem;

// Every BitLinear's codes and scale, in layer order.
struct Weights {
  std::vector<std::vector<uint8_t>> codes;
  std::vector<float> scales;
};

Weights weights_of(const Model& m) {
  Weights w;
  for (const model::LayerWeights& L : m.data().w.layers) {
    for (const model::BitLinear* b : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      const uint64_t n = static_cast<uint64_t>(b->w.rows) * static_cast<uint64_t>(kernels::ternary_row_bytes(b->w.format, b->w.k));
      w.codes.emplace_back(b->w.data, b->w.data + n);
      w.scales.push_back(b->weight_scale);
    }
  }
  return w;
}

void expect_same(const Weights& a, const Weights& b) {
  ASSERT_EQ(a.codes.size(), b.codes.size());
  for (size_t i = 0; i < a.codes.size(); ++i) {
    EXPECT_EQ(a.codes[i], b.codes[i]) << "tensor " << i;
    EXPECT_EQ(a.scales[i], b.scales[i]) << "tensor " << i;
  }
}

class RepackCache : public ::testing::TestWithParam<WeightType> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tern-repack-cache-" + std::to_string(tern::process_id()));
    fs::remove_all(dir_);
    tern::set_env("TERN_CACHE_DIR", dir_.c_str());
    tern::unset_env("TERN_REPACK_CACHE");
    // A copy of its own, so changing its mtime does not touch other tests' model.
    model_ = (fs::temp_directory_path() / ("tern-repack-cache-" + std::to_string(tern::process_id()) + ".gguf")).string();
    fs::copy_file(test::converted_model("tiny-a", GetParam()), model_, fs::copy_options::overwrite_existing);
    ModelOptions off;
    off.repack_cache = false;
    reference_ = weights_of(*Model::load(model_, off));
  }
  void TearDown() override {
    tern::unset_env("TERN_CACHE_DIR");
    fs::remove_all(dir_);
    fs::remove(model_);
  }
  // Loads with the cache on (the test models are small: no size threshold).
  std::shared_ptr<const Model> load(int threads = 2) {
    ModelOptions o;
    o.repack_cache_min_bytes = 0;
    o.load_threads = threads;
    return Model::load(model_, o);
  }
  std::string cache_file() const { return *model::repack_cache_path(model_); }
  // The next load misses for `why`, repacks the reference bytes and rewrites the cache,
  // which the load after it hits.
  void expect_rebuilt(const std::string& why) {
    auto m = load();
    EXPECT_EQ(m->report().repack_cache, "miss (" + why + "), written");
    expect_same(weights_of(*m), reference_);
    EXPECT_EQ(load()->report().repack_cache, "hit");
  }

  fs::path dir_;
  std::string model_;
  Weights reference_;
};

TEST_P(RepackCache, ThreadCountDoesNotChangeTheRepackedBytes) {
  for (int threads : {1, 3}) {
    ModelOptions o;
    o.repack_cache = false;
    o.load_threads = threads;
    auto m = Model::load(model_, o);
    EXPECT_EQ(m->report().load_threads, threads);
    EXPECT_GT(m->report().repacked_tensors, 0);
    expect_same(weights_of(*m), reference_);
  }
}

TEST_P(RepackCache, AHitMapsTheSameBytesAsARepack) {
  auto first = load();
  EXPECT_EQ(first->report().repack_cache, "miss (no cache file), written");
  EXPECT_EQ(first->report().repack_cache_path, cache_file());
  expect_same(weights_of(*first), reference_);
  auto second = load(1);
  EXPECT_EQ(second->report().repack_cache, "hit");
  EXPECT_EQ(second->report().repack_seconds, 0.0);
  expect_same(weights_of(*second), reference_);
  // The weights are views into the cache file, not into memory the loader filled.
  const uint8_t* p = second->data().w.layers[0].wq.w.data;
  const auto cache = second->data().repack_cache.bytes();
  EXPECT_TRUE(p >= cache.data() && p < cache.data() + cache.size());
  // Greedy logits agree too (the graph reads the same bytes).
  SessionOptions so;
  so.kv_type = KvType::F32;
  EXPECT_EQ(test::eval_all(first, {1, 2, 3}, so), test::eval_all(second, {1, 2, 3}, so));
}

TEST_P(RepackCache, CorruptPayloadIsDetectedAndRebuilt) {
  load();
  {
    std::fstream f(cache_file(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(model::kRepackCachePayloadOffset + 100));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(model::kRepackCachePayloadOffset + 100));
    c = static_cast<char>(c ^ 0x40);
    f.write(&c, 1);
  }
  expect_rebuilt("payload hash mismatch (corrupt)");
}

TEST_P(RepackCache, StaleCacheIsRebuilt) {
  load();
  struct timespec times[2] = {{1000, 0}, {1000, 0}};  // the model "changed"
  ASSERT_EQ(::utimensat(AT_FDCWD, model_.c_str(), times, 0), 0);
  expect_rebuilt("stale (the model's size, mtime, inode or device changed)");
}

TEST_P(RepackCache, HostileCacheFilesAreMisses) {
  load();
  std::ifstream in(cache_file(), std::ios::binary);
  const std::vector<char> good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::vector<char>& bytes) {
    std::ofstream(cache_file(), std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  };
  std::mt19937 rng(7);
  std::vector<std::vector<char>> bad = {{}, std::vector<char>(good.begin(), good.begin() + 80),
                                        std::vector<char>(good.begin(), good.end() - 1)};
  std::vector<char> garbage(good.size());
  for (char& c : garbage) c = static_cast<char>(rng());
  bad.push_back(garbage);
  for (int i = 0; i < 40; ++i) {  // one header byte changed (magic, stamp, table, hashes)
    std::vector<char> v = good;
    v[rng() % 200] ^= static_cast<char>(1 + rng() % 255);
    bad.push_back(v);
  }
  for (const std::vector<char>& b : bad) {
    write(b);
    auto m = load();
    EXPECT_EQ(m->report().repack_cache.rfind("miss (", 0), 0u) << m->report().repack_cache;
    expect_same(weights_of(*m), reference_);
  }
}

TEST_P(RepackCache, UnwritableFolderOnlyMeansNoCache) {
  const fs::path file = dir_.string() + "-file";
  std::ofstream(file) << "x";
  tern::set_env("TERN_CACHE_DIR", (file / "sub").c_str());  // a folder under a regular file
  auto m = load();
  EXPECT_EQ(m->report().repack_cache.rfind("miss (no cache file), not written: cannot create ", 0), 0u) << m->report().repack_cache;
  expect_same(weights_of(*m), reference_);
  fs::remove(file);
}

TEST_P(RepackCache, CanBeTurnedOff) {
  tern::set_env("TERN_REPACK_CACHE", "0");
  auto m = load();
  tern::unset_env("TERN_REPACK_CACHE");
  EXPECT_EQ(m->report().repack_cache, "off");
  EXPECT_FALSE(fs::exists(cache_file()));
  ModelOptions small;  // the default size threshold: the tiny model is not cached
  EXPECT_EQ(Model::load(model_, small)->report().repack_cache.rfind("off (repacked tensors under", 0), 0u);
  EXPECT_FALSE(fs::exists(cache_file()));
}

INSTANTIATE_TEST_SUITE_P(Types, RepackCache, ::testing::Values(WeightType::I2_S, WeightType::TQ1_0),
                         [](const auto& info) { return std::string(info.param == WeightType::I2_S ? "I2_S" : "TQ1_0"); });

}  // namespace
}  // namespace tern
