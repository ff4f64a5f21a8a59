// RAPL energy through powercap: zone discovery, counter reads, wrap-around deltas.
#include "runtime/energy.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "platform/energy_counters.h"

namespace tern {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUnavailable = "energy: unavailable (";

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Reads a decimal counter file; on failure returns false with the reason (no prefix).
bool read_counter(const std::string& path, uint64_t& value, std::string& why) {
  std::string text;
  if (int e = read_counter_file(path, text); e != 0) {
    why = describe_energy_read_error(path, e);
    return false;
  }
  std::string t = trim(text);
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) {
    why = path + ": not a decimal counter: '" + t.substr(0, 40) + "'";
    return false;
  }
  return true;
}

// Natural order for zone paths, so intel-rapl:10 sorts after intel-rapl:2 and the
// package comes before its sub-zones (stable order for reports).
bool zone_path_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// A zone directory name: "intel-rapl:N" or "amd-rapl:N" with any number of ":M" levels.
// (Not "intel-rapl-mmio:N", which exposes the same package counter again through MMIO.)
bool is_zone_dir_name(const std::string& name) {
  std::string rest;
  for (const char* prefix : {"intel-rapl:", "amd-rapl:"}) {
    if (name.rfind(prefix, 0) == 0) rest = name.substr(std::strlen(prefix));
  }
  if (rest.empty()) return false;
  bool digit_expected = true;  // after the prefix and after every ':'
  for (char c : rest) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit_expected = false;
    } else if (c == ':' && !digit_expected) {
      digit_expected = true;
    } else {
      return false;
    }
  }
  return !digit_expected;
}

}  // namespace

const char* energy_domain_name(EnergyDomain domain) {
  switch (domain) {
    case EnergyDomain::kPackage: return "package";
    case EnergyDomain::kDram: return "dram";
    case EnergyDomain::kCore: return "core";
    case EnergyDomain::kUncore: return "uncore";
    case EnergyDomain::kPsys: return "psys";
    case EnergyDomain::kOther: break;
  }
  return "other";
}

EnergyDomain energy_domain_from_zone_name(const std::string& zone_name) {
  std::string n = trim(zone_name);
  if (n.rfind("package", 0) == 0) return EnergyDomain::kPackage;  // "package-0"
  if (n == "dram") return EnergyDomain::kDram;
  if (n == "core") return EnergyDomain::kCore;
  if (n == "uncore") return EnergyDomain::kUncore;
  if (n == "psys") return EnergyDomain::kPsys;
  return EnergyDomain::kOther;
}

std::string describe_energy_read_error(const std::string& path, int error_number) {
  switch (error_number) {
    case EACCES:
    case EPERM:
      return "permission denied reading " + path +
             "; energy_uj is root-only on many kernels (run as root or relax its mode)";
    case ENOENT:
      return "no " + path;
    default:
      return "cannot read " + path + ": " + std::strerror(error_number);
  }
}

uint64_t energy_counter_delta(uint64_t begin_uj, uint64_t end_uj, uint64_t max_energy_range_uj) {
  if (end_uj >= begin_uj) return end_uj - begin_uj;
  // The counter passed max_energy_range_uj and restarted from 0.
  return (max_energy_range_uj - begin_uj) + end_uj + 1;
}

EnergyMeter::EnergyMeter(std::string powercap_root) : root_(std::move(powercap_root)) { discover(); }

void EnergyMeter::discover() {
  auto fail = [this](const std::string& why) {
    zones_.clear();
    reason_ = std::string(kUnavailable) + why + ")";
  };
  std::error_code ec;
  // Off Linux the default tree is not the OS's interface: say which counter is missing.
  if (root_ == kDefaultRoot && !energy_counters_missing().empty()) return fail(energy_counters_missing());
  if (!fs::exists(root_, ec)) return fail("no " + root_);
  if (!fs::is_directory(root_, ec)) return fail(root_ + " is not a directory");

  // Zone directories: intel-rapl:N, intel-rapl:N:M, amd-rapl:N... Real sysfs lists every
  // zone at the top level (symlinks) and nests sub-zones inside their package; a copy of
  // the tree may only nest them. Walk both and drop duplicates by canonical path.
  std::vector<std::string> dirs;
  std::set<std::string> seen;
  std::vector<fs::path> pending{fs::path(root_)};
  for (size_t depth = 0; depth < 3 && !pending.empty(); ++depth) {  // package, sub-zone
    std::vector<fs::path> next;
    for (const fs::path& dir : pending) {
      fs::directory_iterator it(dir, ec), end;
      if (ec) {
        if (dir == fs::path(root_)) return fail(describe_energy_read_error(root_, ec.value()));
        continue;
      }
      for (; it != end; it.increment(ec)) {
        if (ec) break;
        const std::string base = it->path().filename().string();
        if (!is_zone_dir_name(base)) continue;
        std::error_code ec2;
        if (!fs::is_directory(it->path(), ec2)) continue;
        fs::path canon = fs::weakly_canonical(it->path(), ec2);
        std::string key = ec2 ? it->path().string() : canon.string();
        if (seen.insert(key).second) dirs.push_back(it->path().string());
        next.push_back(it->path());
      }
    }
    pending = std::move(next);
  }
  if (dirs.empty()) return fail("no RAPL zones (intel-rapl:N or amd-rapl:N) in " + root_);
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return zone_path_less(fs::path(a).filename().string(), fs::path(b).filename().string());
  });

  bool has_package = false;
  for (const std::string& dir : dirs) {
    EnergyZone z;
    z.path = dir;
    std::string text;
    if (int e = read_counter_file(dir + "/name", text); e != 0) return fail(describe_energy_read_error(dir + "/name", e));
    z.name = trim(text);
    z.domain = energy_domain_from_zone_name(z.name);
    std::string why;
    if (!read_counter(dir + "/max_energy_range_uj", z.max_energy_range_uj, why)) return fail(why);
    if (z.max_energy_range_uj == 0) return fail(dir + "/max_energy_range_uj is 0");
    uint64_t probe = 0;  // energy_uj must be readable now, not only at the first sample
    if (!read_counter(dir + "/energy_uj", probe, why)) return fail(why);
    if (probe > z.max_energy_range_uj) {
      return fail(dir + "/energy_uj " + std::to_string(probe) + " exceeds max_energy_range_uj " +
                  std::to_string(z.max_energy_range_uj));
    }
    has_package |= z.domain == EnergyDomain::kPackage;
    zones_.push_back(std::move(z));
  }
  if (!has_package) return fail("no package zone (name \"package-N\") in " + root_);
  reason_.clear();
}

bool EnergyMeter::sample(EnergySample& out, std::string* why) const {
  out.energy_uj.assign(zones_.size(), 0);
  if (!available()) {
    if (why) *why = reason_;
    return false;
  }
  for (size_t i = 0; i < zones_.size(); ++i) {
    std::string reason;
    if (!read_counter(zones_[i].path + "/energy_uj", out.energy_uj[i], reason)) {
      if (why) *why = std::string(kUnavailable) + reason + ")";
      return false;
    }
  }
  return true;
}

EnergyDelta EnergyMeter::delta(const EnergySample& begin, const EnergySample& end) const {
  EnergyDelta d;
  const size_t n = std::min({zones_.size(), begin.energy_uj.size(), end.energy_uj.size()});
  for (size_t i = 0; i < n; ++i) {
    const EnergyZone& z = zones_[i];
    const double joules =
        static_cast<double>(energy_counter_delta(begin.energy_uj[i], end.energy_uj[i], z.max_energy_range_uj)) * 1e-6;
    switch (z.domain) {
      case EnergyDomain::kPackage: d.package_j += joules; break;
      case EnergyDomain::kDram: d.dram_j += joules; d.has_dram = true; break;
      case EnergyDomain::kCore: d.core_j += joules; d.has_core = true; break;
      case EnergyDomain::kUncore: d.uncore_j += joules; d.has_uncore = true; break;
      case EnergyDomain::kPsys: d.psys_j += joules; d.has_psys = true; break;
      case EnergyDomain::kOther: break;
    }
  }
  return d;
}

}  // namespace tern
