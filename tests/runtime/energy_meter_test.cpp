// EnergyMeter on fake powercap trees: discovery, deltas, wrap-around, and every way the
// counters can be unavailable (which must give a reason, never a number).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "runtime/energy.h"
#include "runtime/energy_fixture.h"

using tern::EnergyDomain;
using tern::EnergyMeter;
using tern::EnergySample;
using tern::testing::PowercapFixture;

TEST(EnergyCounterDelta, ForwardAndWrap) {
  EXPECT_EQ(tern::energy_counter_delta(100, 350, 1000), 250u);
  EXPECT_EQ(tern::energy_counter_delta(7, 7, 1000), 0u);
  // 900 -> 1000 is 100 uJ, 1000 -> 0 is one more, 0 -> 49 is 49: 150 in all.
  EXPECT_EQ(tern::energy_counter_delta(900, 49, 1000), 150u);
  EXPECT_EQ(tern::energy_counter_delta(1000, 0, 1000), 1u);
}

TEST(EnergyDomainName, ClassifiesZoneNames) {
  EXPECT_EQ(tern::energy_domain_from_zone_name("package-0"), EnergyDomain::kPackage);
  EXPECT_EQ(tern::energy_domain_from_zone_name("package-1\n"), EnergyDomain::kPackage);
  EXPECT_EQ(tern::energy_domain_from_zone_name("dram"), EnergyDomain::kDram);
  EXPECT_EQ(tern::energy_domain_from_zone_name("core"), EnergyDomain::kCore);
  EXPECT_EQ(tern::energy_domain_from_zone_name("uncore"), EnergyDomain::kUncore);
  EXPECT_EQ(tern::energy_domain_from_zone_name("psys"), EnergyDomain::kPsys);
  EXPECT_EQ(tern::energy_domain_from_zone_name("gpu"), EnergyDomain::kOther);
}

TEST(EnergyMeter, DiscoversNestedAndTopLevelZonesOnce) {
  PowercapFixture fx;
  fx.add_typical_server();
  fx.add_zone("intel-rapl:1", "package-1", 0, 262143328850ULL);
  // Real sysfs also lists every sub-zone at the top level (symlinks): count them once.
  std::filesystem::create_directory_symlink(fx.path("intel-rapl:0/intel-rapl:0:1"), fx.path("intel-rapl:0:1"));
  // Not zones: the control-type directory and the MMIO duplicate of the package.
  std::filesystem::create_directories(fx.path("intel-rapl"));
  fx.add_zone("intel-rapl-mmio:0", "package-0", 0, 1000);
  EnergyMeter meter(fx.root());
  ASSERT_TRUE(meter.available()) << meter.unavailable_reason();
  ASSERT_EQ(meter.zones().size(), 4u);
  EXPECT_EQ(meter.zones()[0].name, "package-0");
  EXPECT_EQ(meter.zones()[1].name, "core");
  EXPECT_EQ(meter.zones()[2].name, "dram");
  EXPECT_EQ(meter.zones()[3].name, "package-1");
  EXPECT_EQ(meter.zones()[2].domain, EnergyDomain::kDram);
  EXPECT_EQ(meter.zones()[2].max_energy_range_uj, 65532610987ULL);
}

TEST(EnergyMeter, DeltasPerDomainAndTotalExcludesSubsets) {
  PowercapFixture fx;
  fx.add_typical_server(/*package*/ 1000000, /*dram*/ 500000);
  fx.add_zone("intel-rapl:1", "package-1", 2000000, 262143328850ULL);
  fx.add_zone("intel-rapl:2", "psys", 0, 262143328850ULL);
  EnergyMeter meter(fx.root());
  ASSERT_TRUE(meter.available()) << meter.unavailable_reason();
  EnergySample a, b;
  std::string why;
  ASSERT_TRUE(meter.sample(a, &why)) << why;
  fx.set_energy("intel-rapl:0", 1000000 + 3500000);              // +3.5 J
  fx.set_energy("intel-rapl:0/intel-rapl:0:0", 10 + 2000000);    // core +2 J (inside package)
  fx.set_energy("intel-rapl:0/intel-rapl:0:1", 500000 + 750000); // dram +0.75 J
  fx.set_energy("intel-rapl:1", 2000000 + 1250000);              // +1.25 J
  fx.set_energy("intel-rapl:2", 9000000);                        // psys +9 J (platform)
  ASSERT_TRUE(meter.sample(b, &why)) << why;
  tern::EnergyDelta d = meter.delta(a, b);
  EXPECT_DOUBLE_EQ(d.package_j, 4.75);
  EXPECT_DOUBLE_EQ(d.dram_j, 0.75);
  EXPECT_DOUBLE_EQ(d.core_j, 2.0);
  EXPECT_DOUBLE_EQ(d.psys_j, 9.0);
  EXPECT_TRUE(d.has_dram);
  EXPECT_TRUE(d.has_core);
  EXPECT_FALSE(d.has_uncore);
  EXPECT_DOUBLE_EQ(d.total_j(), 5.5);  // package + dram only
}

TEST(EnergyMeter, WrapAroundUsesMaxEnergyRange) {
  PowercapFixture fx;
  const uint64_t max = 262143328850ULL;
  fx.add_zone("intel-rapl:0", "package-0", max - 400000, max);
  fx.add_zone("intel-rapl:0/intel-rapl:0:0", "dram", 100, 1000000);
  EnergyMeter meter(fx.root());
  ASSERT_TRUE(meter.available()) << meter.unavailable_reason();
  EnergySample a, b;
  ASSERT_TRUE(meter.sample(a));
  fx.set_energy("intel-rapl:0", 599999);             // wrapped: 400000 + 1 + 599999 = 1 J
  fx.set_energy("intel-rapl:0/intel-rapl:0:0", 50);  // wrapped: 1000000 - 100 + 1 + 50
  ASSERT_TRUE(meter.sample(b));
  tern::EnergyDelta d = meter.delta(a, b);
  EXPECT_DOUBLE_EQ(d.package_j, 1.0);
  EXPECT_DOUBLE_EQ(d.dram_j, (1000000.0 - 100 + 1 + 50) * 1e-6);
}

TEST(EnergyMeter, MissingRootIsUnavailableWithReason) {
  EnergyMeter meter("/nonexistent/tern/powercap");
  EXPECT_FALSE(meter.available());
  EXPECT_EQ(meter.unavailable_reason(), "energy: unavailable (no /nonexistent/tern/powercap)");
  EnergySample s;
  std::string why;
  EXPECT_FALSE(meter.sample(s, &why));
  EXPECT_EQ(why, meter.unavailable_reason());
}

TEST(EnergyMeter, DefaultRootReasonNamesSysClassPowercap) {
  EnergyMeter meter;
  if (std::filesystem::exists("/sys/class/powercap")) GTEST_SKIP() << "this machine has powercap";
  EXPECT_EQ(meter.unavailable_reason(), "energy: unavailable (no /sys/class/powercap)");
}

TEST(EnergyMeter, EmptyZoneListIsUnavailable) {
  PowercapFixture fx;
  std::filesystem::create_directories(fx.path("intel-rapl"));  // control type only, no zones
  EnergyMeter meter(fx.root());
  EXPECT_FALSE(meter.available());
  EXPECT_NE(meter.unavailable_reason().find("energy: unavailable (no RAPL zones"), std::string::npos)
      << meter.unavailable_reason();
}

TEST(EnergyMeter, NoPackageZoneIsUnavailable) {
  PowercapFixture fx;
  fx.add_zone("intel-rapl:0", "psys", 5, 1000);
  EnergyMeter meter(fx.root());
  EXPECT_FALSE(meter.available());
  EXPECT_NE(meter.unavailable_reason().find("no package zone"), std::string::npos) << meter.unavailable_reason();
}

TEST(EnergyMeter, UnreadableCounterIsUnavailable) {
  PowercapFixture fx;
  fx.add_typical_server();
  const std::string counter = fx.path("intel-rapl:0/energy_uj");
  if (::geteuid() != 0) {
    // As on kernels since CVE-2020-8694: energy_uj readable by root only.
    ASSERT_EQ(::chmod(counter.c_str(), 0), 0);
    EnergyMeter meter(fx.root());
    EXPECT_FALSE(meter.available());
    EXPECT_NE(meter.unavailable_reason().find("permission denied reading " + counter), std::string::npos)
        << meter.unavailable_reason();
  } else {
    // Root reads a mode-000 file anyway, so simulate the unreadable counter by its absence.
    std::filesystem::remove(counter);
    EnergyMeter meter(fx.root());
    EXPECT_FALSE(meter.available());
    EXPECT_EQ(meter.unavailable_reason(), "energy: unavailable (no " + counter + ")");
  }
  // The permission text itself, whoever runs the test.
  EXPECT_EQ(tern::describe_energy_read_error("/x/energy_uj", EACCES),
            "permission denied reading /x/energy_uj; energy_uj is root-only on many kernels "
            "(run as root or relax its mode)");
}

TEST(EnergyMeter, CounterVanishingBetweenSamplesFailsTheSample) {
  PowercapFixture fx;
  fx.add_typical_server();
  EnergyMeter meter(fx.root());
  ASSERT_TRUE(meter.available());
  std::filesystem::remove(fx.path("intel-rapl:0/intel-rapl:0:1/energy_uj"));
  EnergySample s;
  std::string why;
  EXPECT_FALSE(meter.sample(s, &why));
  EXPECT_EQ(why.rfind("energy: unavailable (no ", 0), 0u) << why;
}

TEST(EnergyMeter, MalformedCountersAreUnavailable) {
  PowercapFixture fx;
  fx.add_typical_server();
  fx.write("intel-rapl:0/energy_uj", "12x4\n");
  EnergyMeter bad_counter(fx.root());
  EXPECT_FALSE(bad_counter.available());
  EXPECT_NE(bad_counter.unavailable_reason().find("not a decimal counter"), std::string::npos);

  fx.set_energy("intel-rapl:0", 5);
  fx.write("intel-rapl:0/max_energy_range_uj", "0\n");
  EnergyMeter zero_range(fx.root());
  EXPECT_FALSE(zero_range.available());

  fx.write("intel-rapl:0/max_energy_range_uj", "4\n");  // counter 5 above its own range
  EnergyMeter above_range(fx.root());
  EXPECT_FALSE(above_range.available());
}

TEST(EnergyMeter, ZoneDirectoryNames) {
  PowercapFixture fx;
  fx.add_zone("intel-rapl:0", "package-0", 0, 1000);
  fx.add_zone("amd-rapl:1", "package-1", 0, 1000);
  fx.add_zone("intel-rapl:0/intel-rapl:0:12", "dram", 0, 1000);
  for (const char* not_zone : {"intel-rapl:", "intel-rapl:0:", "intel-rapl::0", "intel-rapl:x", "intel-rapl:0a",
                               "intel-rapl-mmio:0", "xintel-rapl:0", "rapl:0"}) {
    fx.add_zone(not_zone, "package-9", 0, 1000);
  }
  EnergyMeter meter(fx.root());
  ASSERT_TRUE(meter.available()) << meter.unavailable_reason();
  ASSERT_EQ(meter.zones().size(), 3u);  // in name order: amd-rapl:1, intel-rapl:0, intel-rapl:0:12
  EXPECT_EQ(meter.zones()[0].name, "package-1");
  EXPECT_EQ(meter.zones()[1].name, "package-0");
  EXPECT_EQ(meter.zones()[2].name, "dram");
}
