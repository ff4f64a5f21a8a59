// Where the energy counters come from on this OS. Linux: RAPL through powercap, whose zone
// files runtime/energy.cpp discovers and reads with read_counter_file
// (energy_counters_linux.cpp). Windows has no RAPL counter a user program can read (the
// MSRs need a kernel driver; the Energy Meter Interface is for drivers), so there
// energy_counters_missing() names what is missing and `tern bench` reports
// "energy: unavailable (...)" with it (energy_counters_windows.cpp). A powercap-shaped tree
// given explicitly (--powercap-root, the tests' fixtures) is still read on every OS.
#pragma once

#include <string>

namespace tern {

// Reads a small counter or name file whole into `out`. Returns 0, or the errno of the
// failure (EACCES for the root-only energy_uj, ENOENT, ...).
int read_counter_file(const std::string& path, std::string& out);

// Empty where the default powercap tree is the system's energy interface (Linux); else why
// there is no energy counter here, for "energy: unavailable (<this>)".
std::string energy_counters_missing();

}  // namespace tern
