// `tern run --ids ... --dump-logits` end to end on a golden model: the dumped rows are the
// prompt's logits then each generated token's, and the printed ids are golden's greedy ids.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "platform/environment.h"
#include "model_test_util.h"

namespace tern::test {
namespace {

namespace fs = std::filesystem;

std::string run_command(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  *status = ::pclose(p);
  return out;
}

// The binary must exist and be executable here (a cross-built test under qemu-user cannot
// start another foreign binary without binfmt_misc).
bool tern_runnable() {
  if (!fs::exists(TERN_BINARY)) return false;
  int status = -1;
  run_command(std::string(TERN_BINARY) + " --version >/dev/null 2>&1", &status);
  return status == 0;
}

TEST(ModelRunCli, DumpLogitsMatchesGolden) {
  if (!tern_runnable()) GTEST_SKIP() << "cannot run the tern binary here: " << TERN_BINARY;
  for (const char* model : {"tiny-a", "tiny-b"}) {
    SCOPED_TRACE(model);
    const auto& g = golden_json(model);
    const auto prompt = g["greedy"]["prompt_ids"].get<std::vector<int32_t>>();
    const auto want = g["greedy"]["new_ids"].get<std::vector<int32_t>>();
    std::string ids, want_text;
    const auto join = [](const std::vector<int32_t>& v) {
      std::string s;
      for (int32_t id : v) {
        if (!s.empty()) s.push_back(',');
        s.append(std::to_string(id));
      }
      return s;
    };
    ids = join(prompt);
    want_text = join(want);
    const std::string dump = (fs::temp_directory_path() / ("tern-model-run-" + std::to_string(tern::process_id()) + ".bin")).string();
    int status = -1;
    const std::string out = run_command(std::string(TERN_BINARY) + " run -m " + converted_model(model) + " --ids " + ids +
                                            " -n 32 --temp 0 --ignore-eos --kv-type f32 -t 2 --dump-logits " + dump + " 2>/dev/null",
                                        &status);
    ASSERT_EQ(status, 0) << out;
    EXPECT_EQ(out, want_text + "\n");
    const std::vector<float> got = read_f32(dump);
    std::error_code ec;
    fs::remove(dump, ec);
    const int64_t V = 1000, P = static_cast<int64_t>(prompt.size());
    ASSERT_EQ(got.size(), static_cast<size_t>((P + 32) * V));  // prompt rows, then one per generated id
    const std::vector<float> len7 = read_f32(golden_dir(model) / "golden" / "logits_len7.bin");
    EXPECT_LE(compare(got.data(), len7.data(), P, V).max_abs, 1e-3);
    const std::vector<float> steps = read_f32(golden_dir(model) / "golden" / "greedy_len7_step_logits.bin");
    // Row P-1+j is the logits after prompt + new_ids[:j] (golden's step j), for j < 32.
    EXPECT_LE(compare(got.data() + (P - 1) * V, steps.data(), 32, V).max_abs, 1e-3);
  }
}

TEST(ModelRunCli, PromptOnlyGivesOneRowPerId) {
  if (!tern_runnable()) GTEST_SKIP() << "cannot run the tern binary here: " << TERN_BINARY;
  const std::string dump = (fs::temp_directory_path() / ("tern-model-run0-" + std::to_string(tern::process_id()) + ".bin")).string();
  int status = -1;
  run_command(std::string(TERN_BINARY) + " run -m " + converted_model("tiny-a") + " --ids 984,50,76 -n 0 --kv-type f32 --dump-logits " +
                  dump + " 2>/dev/null",
              &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(read_f32(dump).size(), 3u * 1000u);
  std::error_code ec;
  fs::remove(dump, ec);
  run_command(std::string(TERN_BINARY) + " run -m " + converted_model("tiny-a") + " --ids 984,x 2>/dev/null", &status);
  EXPECT_NE(status, 0);
  run_command(std::string(TERN_BINARY) + " run -m " + converted_model("tiny-a") + " --ids 984,5000 2>/dev/null", &status);
  EXPECT_NE(status, 0);
}

}  // namespace
}  // namespace tern::test
