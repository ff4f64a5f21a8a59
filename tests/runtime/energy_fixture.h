// A fake powercap tree in a temporary directory, for testing RAPL energy reading on machines
// without RAPL (like CI). Zones are directories with `name`, `energy_uj` and
// `max_energy_range_uj` text files, exactly as the kernel lays them out.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace tern::testing {

class PowercapFixture {
 public:
  PowercapFixture() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tern-powercap-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
  }
  ~PowercapFixture() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  PowercapFixture(const PowercapFixture&) = delete;
  PowercapFixture& operator=(const PowercapFixture&) = delete;

  const std::string& root() const { return root_; }

  // Adds a zone at `rel` (e.g. "intel-rapl:0" or "intel-rapl:0/intel-rapl:0:1").
  void add_zone(const std::string& rel, const std::string& name, uint64_t energy_uj,
                uint64_t max_energy_range_uj) {
    std::filesystem::create_directories(root_ + "/" + rel);
    write(rel + "/name", name + "\n");
    write(rel + "/max_energy_range_uj", std::to_string(max_energy_range_uj) + "\n");
    set_energy(rel, energy_uj);
  }
  void set_energy(const std::string& rel, uint64_t energy_uj) {
    write(rel + "/energy_uj", std::to_string(energy_uj) + "\n");
  }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream out(root_ + "/" + rel, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write fixture file " + rel);
  }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  // A typical single-socket server: package-0 with core and dram sub-zones.
  void add_typical_server(uint64_t package_uj = 1000000, uint64_t dram_uj = 500000,
                          uint64_t max_uj = 262143328850ULL) {
    add_zone("intel-rapl:0", "package-0", package_uj, max_uj);
    add_zone("intel-rapl:0/intel-rapl:0:0", "core", 10, max_uj);
    add_zone("intel-rapl:0/intel-rapl:0:1", "dram", dram_uj, 65532610987ULL);
  }

 private:
  std::string root_;
};

}  // namespace tern::testing
