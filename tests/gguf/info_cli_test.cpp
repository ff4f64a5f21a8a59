// gguf::summarize, and `tern info` run as a process (TERN_BINARY) on a file written by the
// Writer, on the peers' files, on a broken file, and with --kernels.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "gguf/gguf_summary.h"
#include "gguf/gguf_writer.h"
#include "gguf_test_util.h"

namespace tern::gguf::test {
namespace {

using nlohmann::json;

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

// `env` (e.g. "TERN_KERNEL=scalar ") goes in front of the command.
CliRun run(const std::string& args, const std::string& env = "") {
  const std::string cmd = env + std::string(TERN_BINARY) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const char* kTemplate = "{% for m in messages %}\n{{ m.content }}{% endfor %}";

// A small model-shaped file written by tern's own Writer.
std::string write_model(const TempDir& dir) {
  const std::string path = dir.file("model.gguf");
  Writer w(path, 64);
  w.set_string("general.architecture", "bitnet-b1.58");
  w.set_string("general.name", "info-test");
  w.set_u32("bitnet-b1.58.block_count", 1);
  w.set_u32("bitnet-b1.58.embedding_length", 256);
  w.set_f32("bitnet-b1.58.attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "llama-bpe");
  w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "ab", "<s>", "</s>"});
  w.set_string_array("tokenizer.ggml.merges", {"a b"});
  w.set_u32("tokenizer.ggml.bos_token_id", 3);
  w.set_u32("tokenizer.ggml.eos_token_id", 4);
  w.set_i32_array("tokenizer.ggml.token_type", {1, 1, 1, 3, 3});
  w.set_string("tokenizer.chat_template", kTemplate);
  w.add_tensor("token_embd.weight", TensorType::F16, {256, 5});
  w.add_tensor("blk.0.attn_q.weight", TensorType::TERN_T2, {256, 256});
  w.add_tensor("output_norm.weight", TensorType::F32, {256});
  const std::vector<uint8_t> zeros(256 * 256 / 4 + 32, 0);
  w.write_tensor_data("token_embd.weight", std::span(zeros.data(), 256 * 5 * 2));
  w.write_tensor_data("blk.0.attn_q.weight", std::span(zeros.data(), 256 * 256 / 4 + 32));
  w.write_tensor_data("output_norm.weight", std::span(zeros.data(), 1024));
  w.finish();
  return path;
}

TEST(Summary, SplitsHparamsTokenizerAndOther) {
  TempDir dir;
  const File f = File::open(write_model(dir));
  const Summary s = summarize(f);
  EXPECT_EQ(s.architecture, "bitnet-b1.58");
  ASSERT_EQ(s.hparams.size(), 3u);
  EXPECT_EQ(s.hparams[0]->key, "bitnet-b1.58.block_count");
  EXPECT_EQ(describe_value(s.hparams[2]->value), "1e-05");
  EXPECT_TRUE(s.tokenizer.present);
  EXPECT_EQ(s.tokenizer.model, "gpt2");
  EXPECT_EQ(s.tokenizer.pre, "llama-bpe");
  EXPECT_EQ(s.tokenizer.vocab_size, 5u);
  EXPECT_EQ(s.tokenizer.merges, 1u);
  EXPECT_EQ(s.tokenizer.bos, 3u);
  EXPECT_EQ(s.tokenizer.eos, 4u);
  EXPECT_FALSE(s.tokenizer.eot.has_value());
  EXPECT_TRUE(s.has_chat_template);
  EXPECT_EQ(s.chat_template_length, std::string(kTemplate).size());
  std::vector<std::string> other;
  for (const KeyValue* kv : s.other) other.push_back(kv->key);
  EXPECT_EQ(other, (std::vector<std::string>{"general.name", "tokenizer.ggml.token_type", "general.alignment"}));
  EXPECT_EQ(describe_value(s.other[1]->value), "i32[5]");
  EXPECT_EQ(s.n_tensors, 3u);
  EXPECT_EQ(s.total_elements, 256u * 5 + 256 * 256 + 256);
  EXPECT_EQ(s.total_bytes, 256u * 5 * 2 + 256 * 256 / 4 + 32 + 1024);
  ASSERT_EQ(s.by_type.size(), 3u);
  EXPECT_EQ(s.by_type[1].type, TensorType::TERN_T2);
  EXPECT_NEAR(s.by_type[1].bits_per_weight(), 2.0 + 256.0 / 65536, 1e-12);
}

TEST(Summary, WrongTypedTokenizerKeysAreListedNotSummarized) {
  TempDir dir;
  const std::string path = dir.file("odd.gguf");
  {
    Writer w(path);
    w.set_string("tokenizer.ggml.bos_token_id", "three");
    w.set_i32_array("tokenizer.ggml.tokens", {1, 2});
    w.finish();
  }
  const File f = File::open(path);
  const Summary s = summarize(f);
  EXPECT_TRUE(s.architecture.empty());
  EXPECT_FALSE(s.tokenizer.present);
  EXPECT_FALSE(s.tokenizer.bos.has_value());
  EXPECT_EQ(s.other.size(), 2u);
  EXPECT_EQ(describe_value(make_string(std::string(100, 'x')), 10), "xxxxxxxxxx...");
  EXPECT_EQ(shape_string(std::vector<uint64_t>{2560, 6912}), "[2560, 6912]");
}

TEST(InfoCli, TextOnWriterFile) {
  TempDir dir;
  const std::string path = write_model(dir);
  const CliRun r = run("info " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string& o = r.output;
  for (const std::string& want : {
           "file:          " + path,
           std::string("GGUF v3, alignment 64"),
           std::string("architecture:  bitnet-b1.58"),
           std::string("bitnet-b1.58.embedding_length"),
           std::string("tokenizer:     gpt2 (pre llama-bpe), 5 tokens, 1 merges, bos 3, eos 4, eot -"),
           "chat template: present (" + std::to_string(std::string(kTemplate).size()) + " bytes)",
           std::string("tokenizer.ggml.token_type"),
           std::string("i32[5]"),
           std::string("3 tensors"),
       }) {
    EXPECT_NE(o.find(want), std::string::npos) << "missing '" << want << "' in:\n" << o;
  }
  // The tensor row: name, type, shape, bytes on one line.
  const size_t row = o.find("blk.0.attn_q.weight");
  ASSERT_NE(row, std::string::npos);
  const std::string line = o.substr(row, o.find('\n', row) - row);
  EXPECT_NE(line.find("TERN_T2"), std::string::npos) << line;
  EXPECT_NE(line.find("[256, 256]"), std::string::npos) << line;
  EXPECT_NE(line.find(std::to_string(256 * 256 / 4 + 32)), std::string::npos) << line;
}

TEST(InfoCli, JsonOnWriterFile) {
  TempDir dir;
  const std::string path = write_model(dir);
  const CliRun r = run("info --json " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json j = json::parse(r.output);
  EXPECT_EQ(j["file"], path);
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["alignment"], 64);
  EXPECT_EQ(j["architecture"], "bitnet-b1.58");
  EXPECT_EQ(j["hparams"]["bitnet-b1.58.block_count"], 1);
  EXPECT_EQ(j["hparams"]["bitnet-b1.58.attention.layer_norm_rms_epsilon"], 1e-5);
  EXPECT_EQ(j["tokenizer"]["vocab_size"], 5);
  EXPECT_EQ(j["tokenizer"]["merges"], 1);
  EXPECT_EQ(j["tokenizer"]["bos"], 3);
  EXPECT_TRUE(j["tokenizer"]["eot"].is_null());
  EXPECT_EQ(j["chat_template"]["present"], true);
  EXPECT_EQ(j["metadata"]["tokenizer.ggml.token_type"], "i32[5]");
  EXPECT_EQ(j["metadata"]["general.name"], "info-test");
  ASSERT_EQ(j["tensors"].size(), 3u);
  EXPECT_EQ(j["tensors"][1]["name"], "blk.0.attn_q.weight");
  EXPECT_EQ(j["tensors"][1]["type"], "TERN_T2");
  EXPECT_EQ(j["tensors"][1]["shape"], json({256, 256}));
  EXPECT_EQ(j["tensors"][1]["bytes"], 256 * 256 / 4 + 32);
  EXPECT_EQ(j["tensors"][1]["offset"], 2560 + 64 * 0);  // F16 [256,5] = 2560 bytes, already 64-aligned
  EXPECT_EQ(j["totals"]["tensors"], 3);
  EXPECT_EQ(j["totals"]["params"], 256 * 5 + 256 * 256 + 256);
  EXPECT_EQ(j["totals"]["by_type"][0]["type"], "F16");
  EXPECT_EQ(j["totals"]["by_type"][0]["bits_per_weight"], 16.0);
}

TEST(InfoCli, JsonOnPeerFiles) {
  for (const std::string& model : std::vector<std::string>{"tiny-a", "tiny-b"}) {
    for (const std::string& kind : std::vector<std::string>{"i2_s", "tq2_0", "tq1_0"}) {
      const std::string path = std::string(TERN_SHARED_DIR) + "/peers/" + model + "/" + model + "-" + kind + ".gguf";
      const CliRun r = run("info --json " + path);
      ASSERT_EQ(r.exit_code, 0) << r.output;
      const json j = json::parse(r.output);
      const bool i2s = kind == "i2_s";
      const std::string arch = i2s ? "bitnet-b1.58" : "bitnet";
      const int layers = model == "tiny-a" ? 2 : 3;
      SCOPED_TRACE(path);
      EXPECT_EQ(j["architecture"], arch);
      EXPECT_EQ(j["hparams"][arch + ".block_count"], layers);
      EXPECT_EQ(j["tokenizer"]["model"], "gpt2");
      EXPECT_EQ(j["tokenizer"]["vocab_size"], 1000);
      EXPECT_EQ(j["tokenizer"]["merges"], 728);
      EXPECT_EQ(j["tokenizer"]["eot"], 993);
      EXPECT_EQ(j["totals"]["tensors"], 2 + 11 * layers);
      const std::string linear = i2s ? "I2_S" : (kind == "tq2_0" ? "TQ2_0" : "TQ1_0");
      int n_linear = 0;
      for (const json& t : j["tensors"]) n_linear += t["type"] == linear;
      EXPECT_EQ(n_linear, 7 * layers);
      for (const json& bt : j["totals"]["by_type"]) {
        if (bt["type"] != linear) continue;
        const double bpw = bt["bits_per_weight"];
        const double want = kind == "tq1_0" ? 1.6875 : kind == "tq2_0" ? 2.0625 : 2.0;  // I2_S: + 32 B per tensor
        EXPECT_NEAR(bpw, want, i2s ? 0.01 : 1e-9);
      }
    }
  }
}

TEST(InfoCli, BrokenFileFailsWithTheReadersMessage) {
  TempDir dir;
  RawFile f;
  f.version = 1;
  const std::string path = dir.write("old.gguf", f.encode());
  const CliRun r = run("info " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("tern info: " + path + ": version: GGUF version 1 is not supported"), std::string::npos)
      << r.output;
  const CliRun missing = run("info " + dir.file("nope.gguf"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("nope.gguf: cannot open"), std::string::npos) << missing.output;
}

TEST(InfoCli, Kernels) {
  const CliRun r = run("info --kernels");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("scalar"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("selected: "), std::string::npos) << r.output;
  const CliRun j = run("info --kernels --json");
  ASSERT_EQ(j.exit_code, 0) << j.output;
  const json k = json::parse(j.output)["kernels"];
  EXPECT_FALSE(k["selected"].is_null());
  bool has_scalar = false;
  for (const json& e : k["kernels"]) has_scalar = has_scalar || e["name"] == "scalar";
  EXPECT_TRUE(has_scalar);
  // Every entry of the backend table, with a choice and its scalar implementation.
  EXPECT_NE(r.output.find("backend ("), std::string::npos) << r.output;
  ASSERT_EQ(k["backend"].size(), 6u) << j.output;
  for (const json& e : k["backend"]) {
    EXPECT_FALSE(e["selected"].is_null()) << e.dump();
    EXPECT_EQ(e["implementations"].back()["name"], "scalar") << e.dump();
  }
}

TEST(InfoCli, KernelsScalarForcesEveryEntry) {
  const CliRun r = run("info --kernels --json", "TERN_KERNEL=scalar ");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json doc = json::parse(r.output);  // named: a range-for over a temporary's member dangles
  for (const json& e : doc["kernels"]["backend"]) {
    EXPECT_EQ(e["selected"], "scalar") << e.dump();
    EXPECT_EQ(e["why"], "TERN_KERNEL=scalar") << e.dump();
  }
}

TEST(InfoCli, KernelsWithBadOverrideFails) {
  const std::string cmd = "TERN_KERNEL=no-such-kernel " + std::string(TERN_BINARY) + " info --kernels 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[1024];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;
  EXPECT_NE(out.find("selected: none"), std::string::npos) << out;
  EXPECT_NE(out.find("no-such-kernel"), std::string::npos) << out;
}

TEST(InfoCli, KernelsWithBadEntryOverrideFails) {
  const CliRun r = run("info --kernels", "TERN_KERNEL=attention=gpu ");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("unknown attention implementation 'gpu'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace tern::gguf::test
