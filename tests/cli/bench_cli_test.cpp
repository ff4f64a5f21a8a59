// `tern bench` on the golden tiny model (converted by `tern convert` in the test): the
// table and JSON shapes, energy from a fixture powercap tree whose counters return a known
// sequence (so J/token is exact), and the "unavailable (why)" line without one.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/bench_cli_util.h"
#include "cli/bench_energy_fifo.h"
#include "runtime/energy_fixture.h"

using tern::testing::CommandResult;
using tern::testing::converted_tiny_a;
using tern::testing::FifoCounter;
using tern::testing::PowercapFixture;
using tern::testing::run_command;
using tern::testing::shell_quote;

namespace {

std::string bench_command(const std::string& extra, bool bandwidth = false) {
  // -t 1: the test must not depend on how busy the machine's other core is.
  return shell_quote(TERN_BINARY) + " bench -m " + shell_quote(converted_tiny_a()) + " -p 8 -n 2 -r 2 -t 1 " +
         (bandwidth ? "" : "--no-bandwidth ") + extra;
}

}  // namespace

TEST(BenchCli, TableWithoutEnergySaysWhy) {
  ASSERT_FALSE(converted_tiny_a().empty()) << "tern convert of golden/tiny-a failed";
  const std::string missing = "/nonexistent/tern-test/powercap";
  CommandResult r = run_command(bench_command("--powercap-root " + missing));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("| model | size | params | kernel | kv | threads | test | t/s | J/token |"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| 1 | pp8 | "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| 1 | tg2 | "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| n/a |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("energy: unavailable (no " + missing + ")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("peak RSS: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MB of weights per token x "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("machine reads"), std::string::npos) << "--no-bandwidth\n" << r.out;
  EXPECT_EQ(r.out.find("J/token (package"), std::string::npos) << "no energy figure may be printed\n" << r.out;
  // tiny-a: vocab 1000 x 256 embedding + 2 layers of 755,200 + the final norm.
  EXPECT_NE(r.out.find("1.77 M"), std::string::npos) << r.out;
}

TEST(BenchCli, DefaultPowercapRootOnThisMachine) {
  ASSERT_FALSE(converted_tiny_a().empty());
  if (std::filesystem::exists("/sys/class/powercap")) GTEST_SKIP() << "this machine has powercap";
  CommandResult r = run_command(bench_command("-n 0"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("energy: unavailable (no /sys/class/powercap)"), std::string::npos) << r.out;
}

TEST(BenchCli, JsonRecords) {
  ASSERT_FALSE(converted_tiny_a().empty());
  CommandResult r = run_command(bench_command("--json --kv-type f32 --powercap-root /nonexistent", /*bandwidth=*/true));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["test"], "pp8");
  EXPECT_EQ(j[0]["n_prompt"], 8);
  EXPECT_EQ(j[0]["n_gen"], 0);
  EXPECT_EQ(j[1]["test"], "tg2");
  EXPECT_EQ(j[1]["n_gen"], 2);
  for (const auto& rec : j) {
    EXPECT_EQ(rec["n_threads"], 1);
    EXPECT_EQ(rec["type_kv"], "f32");
    EXPECT_EQ(rec["model_n_params"], 1766656u);
    ASSERT_EQ(rec["samples_ts"].size(), 2u);
    ASSERT_EQ(rec["samples_ns"].size(), 2u);
    const double tokens = rec["test"] == "pp8" ? 8 : 2;
    for (int i = 0; i < 2; ++i) {  // t/s and ns describe the same runs
      EXPECT_NEAR(rec["samples_ts"][i].get<double>(), tokens * 1e9 / rec["samples_ns"][i].get<double>(),
                  1e-6 * rec["samples_ts"][i].get<double>());
    }
    EXPECT_GT(rec["median_ts"].get<double>(), 0);
    EXPECT_GT(rec["peak_rss_bytes"].get<uint64_t>(), 0u);
    EXPECT_GT(rec["weight_bytes_per_token"].get<uint64_t>(), 0u);
    EXPECT_FALSE(rec["energy"]["available"].get<bool>());
    EXPECT_EQ(rec["energy"]["reason"], "energy: unavailable (no /nonexistent)");
  }
  EXPECT_FALSE(j[0].contains("implied_read_gbps"));
  EXPECT_FALSE(j[0].contains("machine_read_gbps"));
  const double implied = j[1]["implied_read_gbps"].get<double>();
  EXPECT_NEAR(implied, j[1]["weight_bytes_per_token"].get<double>() * j[1]["median_ts"].get<double>() / 1e9, 1e-9);
  // The roofline: measured machine bandwidth / bytes per token, and tg's fraction of it.
  const double machine = j[1]["machine_read_gbps"].get<double>();
  EXPECT_GT(machine, 0.01);
  EXPECT_NEAR(j[1]["roofline_ts"].get<double>(), machine * 1e9 / j[1]["weight_bytes_per_token"].get<double>(),
              1e-9 * j[1]["roofline_ts"].get<double>());
  EXPECT_NEAR(j[1]["roofline_fraction"].get<double>(), implied / machine, 1e-9);
}

TEST(BenchCli, EnergyFromFixtureCounterDeltas) {
  ASSERT_FALSE(converted_tiny_a().empty());
  PowercapFixture fx;
  // Package: a small range so the counter wraps every few reads (10,000,000 -> 0).
  fx.add_zone("intel-rapl:0", "package-0", 0, 10000000);
  fx.add_zone("intel-rapl:0/intel-rapl:0:0", "dram", 0, 65532610987ULL);
  std::filesystem::remove(fx.path("intel-rapl:0/energy_uj"));
  std::filesystem::remove(fx.path("intel-rapl:0/intel-rapl:0:0/energy_uj"));
  // Each read advances package by 3 J and DRAM by 0.5 J.
  FifoCounter package(fx.path("intel-rapl:0/energy_uj"), 5000000, 3000000, 10000000);
  FifoCounter dram(fx.path("intel-rapl:0/intel-rapl:0:0/energy_uj"), 0, 500000, 65532610987ULL);

  CommandResult r = run_command(bench_command("--json --powercap-root " + shell_quote(fx.root())));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  // Reads: one probe, then before/after each of 2 repetitions of 2 tests. Every repetition
  // spans exactly one step: 3 J package (across a wrap for some) + 0.5 J DRAM.
  for (int i = 0; i < 100 && (package.reads() < 9 || dram.reads() < 9); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(package.reads(), 9u);
  EXPECT_EQ(dram.reads(), 9u);
  const auto& pp = j[0]["energy"];
  const auto& tg = j[1]["energy"];
  ASSERT_TRUE(pp["available"].get<bool>()) << j.dump(2);
  ASSERT_TRUE(tg["available"].get<bool>()) << j.dump(2);
  EXPECT_DOUBLE_EQ(pp["tokens"].get<double>(), 16);
  EXPECT_DOUBLE_EQ(pp["package_j"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(pp["dram_j"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(pp["package_j_per_token"].get<double>(), 6.0 / 16);
  EXPECT_DOUBLE_EQ(pp["dram_j_per_token"].get<double>(), 1.0 / 16);
  EXPECT_DOUBLE_EQ(pp["j_per_token"].get<double>(), 7.0 / 16);
  EXPECT_DOUBLE_EQ(tg["tokens"].get<double>(), 4);
  EXPECT_DOUBLE_EQ(tg["j_per_token"].get<double>(), 7.0 / 4);
  EXPECT_DOUBLE_EQ(tg["package_j_per_token"].get<double>(), 6.0 / 4);
}

TEST(BenchCli, EnergyLinesInTheTable) {
  ASSERT_FALSE(converted_tiny_a().empty());
  PowercapFixture fx;
  fx.add_zone("intel-rapl:0", "package-0", 0, 262143328850ULL);
  std::filesystem::remove(fx.path("intel-rapl:0/energy_uj"));
  FifoCounter package(fx.path("intel-rapl:0/energy_uj"), 1000, 2000000, 262143328850ULL);  // 2 J per read
  CommandResult r = run_command(bench_command("-n 0 --powercap-root " + shell_quote(fx.root())));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // pp8, 2 repetitions: 4 J over 16 tokens; no DRAM zone, so none is reported.
  EXPECT_NE(r.out.find("| 0.2500 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("energy pp8 t=1: package 4.000 J over 16 tokens = 0.250000 J/token (package 0.250000)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("unavailable"), std::string::npos) << r.out;
}

TEST(BenchCli, RejectsBadArguments) {
  ASSERT_FALSE(converted_tiny_a().empty());
  CommandResult kv = run_command(bench_command("--kv-type q8"));
  EXPECT_EQ(kv.exit_code, 1);
  EXPECT_NE(kv.err.find("--kv-type must be f16 or f32"), std::string::npos) << kv.err;
  CommandResult reps = run_command(bench_command("-r 0"));
  EXPECT_EQ(reps.exit_code, 1);
  CommandResult no_model = run_command(shell_quote(TERN_BINARY) + " bench -m /nonexistent.gguf -t 1");
  EXPECT_EQ(no_model.exit_code, 1);
  EXPECT_NE(no_model.err.find("/nonexistent.gguf"), std::string::npos) << no_model.err;
}
