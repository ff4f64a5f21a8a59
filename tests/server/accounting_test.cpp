// server::Accounting with a fake CPU clock and a fake powercap tree: a step's CPU and energy
// split by rows, cuts where a request ends, carries, unreadable RAPL (no figure, never an
// estimate), the finished-request counters; the cost per 10k requests; the /metrics lines.
#include "server/accounting.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include "prom_text.h"
#include "runtime/energy_fixture.h"
#include "server/accounting_metrics.h"

namespace tern::server {
namespace {

struct FakeCpu {
  double now = 100;
  Accounting::CpuClock clock() {
    return [this] { return now; };
  }
};

TEST(Accounting, StepCpuIsSplitByRows) {
  FakeCpu cpu;
  Accounting acct("/nonexistent/tern/powercap", cpu.clock());
  RequestTally a, b;
  acct.begin_step();
  acct.add_rows(a, 30, /*prompt=*/true);  // a prefills 30 prompt tokens
  acct.add_rows(b, 10);                   // b decodes 10 rows (drafts included)
  cpu.now += 4.0;
  acct.end_step();
  EXPECT_DOUBLE_EQ(a.cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(b.cpu_seconds, 1.0);
  EXPECT_EQ(a.prompt_rows, 30);
  EXPECT_EQ(b.prompt_rows, 0);
  // Time between steps belongs to nobody.
  cpu.now += 50;
  acct.begin_step();
  acct.add_rows(a, 1);
  acct.add_rows(b, 1);
  cpu.now += 1.0;
  acct.end_step();
  EXPECT_DOUBLE_EQ(a.cpu_seconds, 3.5);
  EXPECT_DOUBLE_EQ(b.cpu_seconds, 1.5);
  const AccountingTotals t = acct.totals();
  EXPECT_DOUBLE_EQ(t.step_cpu_seconds, 5.0);
  EXPECT_DOUBLE_EQ(t.request_cpu_seconds, 5.0);
}

TEST(Accounting, FinishCutsTheStepAndCarriesTheRest) {
  FakeCpu cpu;
  Accounting acct("/nonexistent/tern/powercap", cpu.clock());
  RequestTally a, b;
  acct.begin_step();
  acct.add_rows(a, 1);
  acct.add_rows(b, 1);
  cpu.now += 2.0;
  acct.token(a);
  const RequestUsage ua = acct.finish(a, /*prompt_tokens=*/12);  // a ends mid-step: its share is in
  EXPECT_DOUBLE_EQ(ua.cpu_seconds, 1.0);
  EXPECT_FALSE(ua.energy_joules) << "no RAPL here: no figure";
  EXPECT_EQ(a.cpu_seconds, 0) << "the slot's tally is cleared for the next request";
  cpu.now += 0.5;  // b's sampling after the cut: no rows yet, carried
  acct.end_step();
  EXPECT_DOUBLE_EQ(b.cpu_seconds, 1.0);
  acct.begin_step();
  acct.add_rows(b, 1);
  cpu.now += 1.0;
  acct.end_step();
  EXPECT_DOUBLE_EQ(b.cpu_seconds, 2.5);
  const AccountingTotals t = acct.totals();
  EXPECT_DOUBLE_EQ(t.request_cpu_seconds, 3.5);
  EXPECT_EQ(t.finished, 1);
  EXPECT_DOUBLE_EQ(t.finished_cpu_seconds, 1.0);
  EXPECT_EQ(t.prompt_tokens_evaluated, 0);
  EXPECT_EQ(t.prompt_tokens_reused, 12) << "a passed a token on without evaluating its prompt here";
}

TEST(Accounting, InterTokenGapsAfterTheFirstToken) {
  Accounting acct("/nonexistent/tern/powercap");
  RequestTally a;
  for (int i = 0; i < 5; ++i) acct.token(a);
  EXPECT_EQ(acct.inter_token().count, 4u);
  acct.finish(a, 1);
  acct.token(a);  // a new request in the slot: its first token is no gap
  EXPECT_EQ(acct.inter_token().count, 4u);
}

TEST(Accounting, EnergyFromPowercapSplitLikeCpu) {
  testing::PowercapFixture pc;
  pc.add_typical_server(/*package_uj=*/1000000, /*dram_uj=*/500000);
  FakeCpu cpu;
  Accounting acct(pc.root(), cpu.clock());
  ASSERT_TRUE(acct.energy_available()) << acct.energy_unavailable_reason();
  RequestTally a, b;
  acct.begin_step();
  acct.add_rows(a, 3);
  acct.add_rows(b, 1);
  pc.set_energy("intel-rapl:0", 1000000 + 6000000);               // package +6 J
  pc.set_energy("intel-rapl:0/intel-rapl:0:1", 500000 + 2000000);  // dram +2 J
  cpu.now += 1;
  acct.end_step();
  EXPECT_NEAR(a.joules, 6.0, 1e-9);
  EXPECT_NEAR(b.joules, 2.0, 1e-9);
  const RequestUsage ua = acct.finish(a, 3);
  ASSERT_TRUE(ua.energy_joules);
  EXPECT_NEAR(*ua.energy_joules, 6.0, 1e-9);
  EXPECT_NEAR(acct.totals().request_joules, 8.0, 1e-9);
  ASSERT_TRUE(acct.joules_since_start());
  EXPECT_NEAR(*acct.joules_since_start(), 8.0, 1e-9);

  // The counter becomes unreadable during b's next step: b gets no energy figure at all.
  acct.begin_step();
  acct.add_rows(b, 1);
  std::filesystem::remove(pc.path("intel-rapl:0/energy_uj"));
  acct.end_step();
  const RequestUsage ub = acct.finish(b, 1);
  EXPECT_FALSE(ub.energy_joules);
  EXPECT_GT(ub.cpu_seconds, 0);
}

TEST(Accounting, CostPer10kRequests) {
  // 10 requests, 36 CPU-seconds: 3.6 s each; x 10000 x 2 per CPU-hour / 3600 = 20.
  EXPECT_NEAR(*cost_per_10k_requests(36.0, 10, 2.0), 20.0, 1e-12);
  EXPECT_NEAR(*cost_per_10k_requests(0.18, 1, 0.04), 0.02, 1e-12);
  EXPECT_FALSE(cost_per_10k_requests(36.0, 10, std::nullopt)) << "no price: absent";
  EXPECT_FALSE(cost_per_10k_requests(0.0, 0, 2.0)) << "nothing finished: absent";
}

test::PromText rendered(const Accounting& acct, std::optional<double> price) {
  std::ostringstream o;
  render_accounting(o, acct, price);
  return test::parse_prom(o.str());
}

TEST(Accounting, MetricsLines) {
  FakeCpu cpu;
  Accounting acct("/nonexistent/tern/powercap", cpu.clock());
  RequestTally a;
  acct.begin_step();
  acct.add_rows(a, 4, true);
  cpu.now += 0.9;
  acct.token(a);
  acct.finish(a, 4);
  acct.end_step();
  const test::PromText without = rendered(acct, std::nullopt);
  EXPECT_FALSE(without.has("tern_cost_per_10k_requests")) << "absent without a price, not zero";
  EXPECT_EQ(without.at("tern_energy_available"), 0);
  EXPECT_NE(without.help.at("tern_energy_available").find("unavailable"), std::string::npos);
  EXPECT_FALSE(without.has("tern_request_energy_joules_total"));
  EXPECT_NEAR(without.at("tern_request_cpu_seconds_total"), 0.9, 1e-12);
  EXPECT_EQ(without.at("tern_generation_cpu_seconds_count"), 1);
  EXPECT_EQ(without.at("tern_finished_prompt_tokens_evaluated_total"), 4);
  EXPECT_EQ(without.at("tern_finished_prompt_tokens_reused_total"), 0);
  EXPECT_EQ(without.type.at("tern_request_cpu_seconds_total"), "counter");
  const test::PromText with = rendered(acct, 3.6);
  EXPECT_NEAR(with.at("tern_cost_per_10k_requests"), 0.9 * 10000 * 3.6 / 3600, 1e-9);

  testing::PowercapFixture pc;
  pc.add_typical_server();
  const test::PromText e = rendered(Accounting(pc.root(), cpu.clock()), std::nullopt);
  EXPECT_EQ(e.at("tern_energy_available"), 1);
  EXPECT_TRUE(e.has("tern_request_energy_joules_total"));
  EXPECT_TRUE(e.has("tern_energy_joules_total"));
}

}  // namespace
}  // namespace tern::server
