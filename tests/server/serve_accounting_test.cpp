// Accounting through the server: after N generations the latency histograms count N (and
// the inter-token one every token after each first), time to first token is within the
// request's duration, each reply's usage.tern.cpu_seconds is positive and their sum is
// within the process's CPU time and most of the scheduler's; energy from a powercap tree
// whose counters rise while it serves; --price-per-cpu-hour through the real binary.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>
#include "cli/bench_cli_util.h"
#include "prom_text.h"
#include "runtime/energy_fixture.h"
#include "serve_process.h"
#include "server/accounting.h"
#include "server_fixture.h"

namespace tern::server::test {
namespace {

PromText metrics(const RunningServer& srv) {
  auto c = srv.client();
  auto r = c.Get("/metrics");
  EXPECT_TRUE(r && r->status == 200);
  return parse_prom(r ? r->body : "");
}

// Runs `n` completions, `concurrent` at a time; returns their replies.
std::vector<json> run_requests(const RunningServer& srv, int n, int concurrent, int max_tokens) {
  std::vector<json> replies(static_cast<size_t>(n));
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrent; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        int status = 0;
        const json body = {{"prompt", "The story of number " + std::to_string(i) + " begins"},
                           {"max_tokens", max_tokens}, {"ignore_eos", true}};
        replies[static_cast<size_t>(i)] = post(srv, "/v1/completions", body, &status);
        EXPECT_EQ(status, 200) << replies[static_cast<size_t>(i)].dump();
      }
    });
  }
  for (auto& t : threads) t.join();
  return replies;
}

TEST(ServeAccounting, HistogramsCountEveryGenerationAndCpuAddsUp) {
  ServerOptions o;
  o.parallel = 2;
  o.log_requests = false;
  o.powercap_root = "/nonexistent/tern/powercap";
  RunningServer srv(o);
  const double cpu_before = process_cpu_seconds();  // this test process is the server
  const int n = 6, max_tokens = 8;
  const std::vector<json> replies = run_requests(srv, n, 3, max_tokens);
  const double cpu_after = process_cpu_seconds();
  const PromText m = metrics(srv);

  EXPECT_EQ(m.at("tern_time_to_first_token_seconds_count"), n);
  EXPECT_EQ(m.at("tern_request_duration_seconds_count"), n);
  EXPECT_EQ(m.at("tern_time_to_first_token_seconds_bucket{le=\"+Inf\"}"), n);
  EXPECT_EQ(m.at("tern_inter_token_seconds_count"), n * (max_tokens - 1)) << "one gap per token after the first";
  EXPECT_EQ(m.at("tern_generation_cpu_seconds_count"), n);
  // Plausible: each first token came within its request, so the sums keep that order.
  EXPECT_GT(m.at("tern_time_to_first_token_seconds_sum"), 0);
  EXPECT_LE(m.at("tern_time_to_first_token_seconds_sum"), m.at("tern_request_duration_seconds_sum"));
  EXPECT_LE(m.at("tern_inter_token_seconds_sum"), m.at("tern_request_duration_seconds_sum"));

  double sum = 0;
  for (const json& r : replies) {
    ASSERT_TRUE(r.contains("usage")) << r.dump();
    const json& t = r["usage"]["tern"];
    EXPECT_GT(t["cpu_seconds"].get<double>(), 0) << r.dump();
    EXPECT_TRUE(t["energy_joules"].is_null()) << "no RAPL: no figure";
    sum += t["cpu_seconds"].get<double>();
  }
  const double rounding = n * 1e-6;  // usage.tern.cpu_seconds is rounded to microseconds
  EXPECT_LE(sum, cpu_after - cpu_before + rounding) << "requests cannot have used more CPU than the process did";
  EXPECT_NEAR(sum, m.at("tern_generation_cpu_seconds_sum"), rounding);
  const double steps = m.at("tern_step_cpu_seconds_total");
  EXPECT_GE(sum, 0.8 * steps) << "most CPU of the scheduler's steps is charged to the requests in them";
  EXPECT_LE(sum, steps + rounding);
  EXPECT_GE(m.at("process_cpu_seconds_total"), steps);
  EXPECT_EQ(m.at("tern_energy_available"), 0);
  EXPECT_FALSE(m.has("tern_cost_per_10k_requests")) << "no price given";
  EXPECT_GT(m.at("tern_finished_prompt_tokens_evaluated_total"), 0);
}

// Writes a counter as the kernel shows it: whole (rename), so a reader never sees half a number.
void bump(tern::testing::PowercapFixture& pc, const std::string& zone, uint64_t uj) {
  pc.write(zone + "/energy_uj.tmp", std::to_string(uj) + "\n");
  std::filesystem::rename(pc.path(zone + "/energy_uj.tmp"), pc.path(zone + "/energy_uj"));
}

TEST(ServeAccounting, EnergyFromAPowercapTree) {
  tern::testing::PowercapFixture pc;
  const uint64_t start = 1000000;
  pc.add_typical_server(start, start);
  ServerOptions o;
  o.parallel = 2;
  o.log_requests = false;
  o.powercap_root = pc.root();
  o.price_per_cpu_hour = 0.5;
  RunningServer srv(o);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> added{0};
  std::thread meter([&] {  // the "machine" draws 1 J per millisecond on the package
    while (!stop) {
      added += 1000000;
      bump(pc, "intel-rapl:0", start + added);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const std::vector<json> replies = run_requests(srv, 4, 2, 6);
  stop = true;
  meter.join();
  double sum = 0;
  for (const json& r : replies) {
    const json& t = r["usage"]["tern"];
    ASSERT_TRUE(t["energy_joules"].is_number()) << r.dump();
    EXPECT_GE(t["energy_joules"].get<double>(), 0);
    EXPECT_NEAR(t["energy_wh"].get<double>(), t["energy_joules"].get<double>() / 3600, 1e-12);
    sum += t["energy_joules"].get<double>();
  }
  EXPECT_GT(sum, 0) << "the counters rose while the requests ran";
  EXPECT_LE(sum, static_cast<double>(added.load()) / 1e6 + 1e-6) << "never more than the meter counted";
  const PromText m = metrics(srv);
  EXPECT_EQ(m.at("tern_energy_available"), 1);
  EXPECT_NEAR(m.at("tern_request_energy_joules_total"), sum, 1e-6);
  EXPECT_GT(m.at("tern_energy_joules_per_generation"), 0);
  ASSERT_TRUE(m.has("tern_cost_per_10k_requests"));
  EXPECT_NEAR(m.at("tern_cost_per_10k_requests"),
              m.at("tern_generation_cpu_seconds_sum") / 4 * 10000 * 0.5 / 3600, 1e-9);
}

}  // namespace
}  // namespace tern::server::test

namespace tern::test {
namespace {

TEST(ServeAccountingCli, PriceFlagIsRangeChecked) {
  for (const char* bad : {"0", "-1", "abc", "nan", "inf", "1e10", ""}) {
    const auto r = tern::testing::run_command(std::string(TERN_BINARY) + " serve -m " + demo_model() +
                                              " --port 0 --price-per-cpu-hour '" + bad + "'");
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find("--price-per-cpu-hour"), std::string::npos) << bad << ": " << r.err;
  }
}

TEST(ServeAccountingCli, PriceGivesTheCostPer10kRequests) {
  int port = 0;
  auto srv = start_demo_serve({"--price-per-cpu-hour", "0.04", "--powercap-root", "/nonexistent/tern/powercap"}, &port);
  ASSERT_GT(port, 0) << srv->log();
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60, 0);
  auto before = c.Get("/metrics");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->body.find("tern_cost_per_10k_requests"), std::string::npos) << "nothing finished yet";
  auto r = c.Post("/v1/completions", R"({"prompt":"Once upon a time","max_tokens":4})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const double cpu = nlohmann::json::parse(r->body)["usage"]["tern"]["cpu_seconds"].get<double>();
  EXPECT_GT(cpu, 0);
  auto after = c.Get("/metrics");
  ASSERT_TRUE(after);
  const auto m = server::test::parse_prom(after->body);
  ASSERT_TRUE(m.has("tern_cost_per_10k_requests")) << after->body;
  EXPECT_NEAR(m.at("tern_cost_per_10k_requests"), cpu * 10000 * 0.04 / 3600, 1e-6 * 10000 * 0.04 / 3600 + 1e-12);
  EXPECT_EQ(m.at("tern_energy_available"), 0);
  // The request's log line: its CPU-seconds, no energy figure, the first token within the request.
  const std::string log = srv->log();
  bool seen = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || j.value("route", "") != "/v1/completions") continue;
    seen = true;
    EXPECT_NEAR(j["cpu_s"].get<double>(), cpu, 1e-6) << line;
    EXPECT_TRUE(j["energy_j"].is_null()) << line;
    EXPECT_TRUE(j["energy_wh"].is_null()) << line;
    EXPECT_GT(j["ttft_ms"].get<double>(), 0) << line;
    EXPECT_LE(j["ttft_ms"].get<double>(), j["duration_ms"].get<double>()) << line;
  }
  EXPECT_TRUE(seen) << log;
}

}  // namespace
}  // namespace tern::test
