// Energy measured from RAPL counters through Linux powercap (/sys/class/powercap).
//
// Each RAPL zone is a directory `intel-rapl:N` (one per CPU package; AMD kernels use the same
// driver and names, some expose `amd-rapl:N`) with sub-zones `intel-rapl:N:M` named "core",
// "uncore" or "dram". A zone holds `name`, `energy_uj` (a free-running microjoule counter,
// root-only on many kernels since CVE-2020-8694) and `max_energy_range_uj` (where it wraps).
//
// What is reported: package and DRAM energy separately, and their sum. "core" and "uncore"
// are parts of the package, so they are reported but never added to the total; "psys"
// (the whole platform) is likewise reported only. When the counters cannot be read the
// meter says why, in a line starting "energy: unavailable (" — it never estimates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tern {

enum class EnergyDomain { kPackage, kDram, kCore, kUncore, kPsys, kOther };

// "package", "dram", "core", "uncore", "psys" or "other".
const char* energy_domain_name(EnergyDomain domain);

// Classifies a zone by the contents of its `name` file ("package-0", "dram", "core", ...).
EnergyDomain energy_domain_from_zone_name(const std::string& zone_name);

struct EnergyZone {
  std::string path;         // the zone directory
  std::string name;         // contents of its `name` file
  EnergyDomain domain = EnergyDomain::kOther;
  uint64_t max_energy_range_uj = 0;  // the counter wraps from this value to 0
};

// One reading of every zone's counter, in the order of EnergyMeter::zones().
struct EnergySample {
  std::vector<uint64_t> energy_uj;
};

// Energy spent between two samples, in joules, summed over packages (sockets).
struct EnergyDelta {
  double package_j = 0;
  double dram_j = 0;
  double core_j = 0;    // part of package_j
  double uncore_j = 0;  // part of package_j
  double psys_j = 0;    // whole platform; not added to total
  bool has_dram = false;
  bool has_core = false;
  bool has_uncore = false;
  bool has_psys = false;
  double total_j() const { return package_j + dram_j; }
};

// Turns an errno from opening/reading `path` into the text inside "unavailable (...)".
std::string describe_energy_read_error(const std::string& path, int error_number);

// The delta of one counter that may have wrapped once at max_energy_range_uj. (A counter
// that wrapped twice between samples cannot be told apart; samples are taken per benchmark
// repetition, far shorter than the minutes a wrap takes at package power.)
uint64_t energy_counter_delta(uint64_t begin_uj, uint64_t end_uj, uint64_t max_energy_range_uj);

class EnergyMeter {
 public:
  static constexpr const char* kDefaultRoot = "/sys/class/powercap";

  // Discovers the zones under `powercap_root` and reads every counter once to check it is
  // readable. Never throws for a missing or unreadable tree: available() says false.
  explicit EnergyMeter(std::string powercap_root = kDefaultRoot);

  bool available() const { return reason_.empty(); }
  // "energy: unavailable (why)" when !available(), else empty.
  const std::string& unavailable_reason() const { return reason_; }
  const std::string& root() const { return root_; }
  const std::vector<EnergyZone>& zones() const { return zones_; }

  // Reads every counter. Returns false and sets *why ("energy: unavailable (...)") if a
  // counter cannot be read (then the caller reports unavailability, not a number).
  bool sample(EnergySample& out, std::string* why = nullptr) const;

  // Joules between two samples of this meter, wrap-around handled per counter.
  EnergyDelta delta(const EnergySample& begin, const EnergySample& end) const;

 private:
  void discover();
  std::string root_;
  std::vector<EnergyZone> zones_;
  std::string reason_;
};

}  // namespace tern
