// What each generation costs, measured: process CPU time (every thread: the scheduler, the
// kernel pool, the HTTP handlers) and, where RAPL is readable, energy, read at the edges of
// each scheduler step and apportioned to the requests in that step by their share of its
// rows (prompt rows prefilled + decode rows, drafts included). A step is cut where a request
// ends, so the request's figure is complete when its reply goes out; what comes after the
// last rows of a cut (sampling the other slots) is carried to the next rows. Time between
// steps (the scheduler idle) belongs to no request.
//
// Energy is RAPL package + DRAM of the whole machine: other processes' work in a step is
// charged to it too. Where the counters cannot be read, no request gets a figure (never an
// estimate).
//
// The scheduler thread calls begin_step / add_rows / settle / token / finish; any thread
// may read totals() and the inter-token histogram.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include "platform/process_stats.h"
#include "runtime/energy.h"
#include "server/histogram.h"

namespace tern::server {

using tern::process_cpu_seconds;  // platform/process_stats.h: the whole process's CPU seconds

// One running generation's tally (a slot holds it; finish() hands it out and clears it).
struct RequestTally {
  double cpu_seconds = 0;
  double joules = 0;
  bool energy_ok = true;          // false once a step it had rows in could not read RAPL
  int64_t prompt_rows = 0;        // prompt tokens evaluated (not reused from a KV cache)
  int64_t tokens = 0;             // tokens passed on (for the inter-token gaps)
  std::chrono::steady_clock::time_point last_token;
};

// What a finished generation cost; energy only where RAPL was readable throughout.
struct RequestUsage {
  double cpu_seconds = 0;
  std::optional<double> energy_joules;
  int64_t prompt_evaluated = 0;
};

struct AccountingTotals {
  double step_cpu_seconds = 0;       // process CPU inside scheduler steps
  double request_cpu_seconds = 0;    // the part apportioned to requests (running ones too)
  double request_joules = 0;         // energy apportioned to requests (when available)
  int64_t finished = 0;              // generations finished
  double finished_cpu_seconds = 0;   // CPU of those
  double finished_joules = 0;        // energy of those with a figure
  int64_t finished_with_energy = 0;
  int64_t prompt_tokens_evaluated = 0;  // of finished generations: prompt rows evaluated
  int64_t prompt_tokens_reused = 0;     // their prompt tokens not evaluated (came from a KV cache)
};

class Accounting {
 public:
  using CpuClock = std::function<double()>;
  // cpu_clock: seconds of CPU (tests pass a fake); powercap_root: the RAPL tree.
  explicit Accounting(std::string powercap_root = EnergyMeter::kDefaultRoot, CpuClock cpu_clock = process_cpu_seconds);

  bool energy_available() const { return meter_.available(); }
  const std::string& energy_unavailable_reason() const { return meter_.unavailable_reason(); }

  void begin_step();                              // reads the clocks
  void add_rows(RequestTally& who, int64_t rows, bool prompt = false);
  // Apportions CPU and energy since the last reading among the rows added since; with no
  // rows, carries them to the next rows.
  void settle();
  void end_step() { settle(); }
  // A token passed on: observes the gap since the request's previous one.
  void token(RequestTally& who);
  // The request ended: settles the step so far, counts it, clears the tally.
  RequestUsage finish(RequestTally& who, int64_t prompt_tokens);

  AccountingTotals totals() const;
  HistogramSnapshot inter_token() const { return inter_token_.snapshot(); }
  HistogramSnapshot request_cpu() const { return request_cpu_.snapshot(); }
  // RAPL energy since construction (whole machine), when readable.
  std::optional<double> joules_since_start() const;

 private:
  struct Reading {
    double cpu = 0;
    std::optional<EnergySample> energy;
  };
  Reading read() const;

  CpuClock cpu_clock_;
  EnergyMeter meter_;
  std::optional<EnergySample> start_energy_;
  Reading last_;
  double carried_cpu_ = 0;
  double carried_j_ = 0;
  bool carried_energy_ok_ = true;
  std::vector<std::pair<RequestTally*, int64_t>> rows_;  // since the last reading
  Histogram inter_token_{buckets::kInterToken};
  Histogram request_cpu_{buckets::kRequestCpuSeconds};
  mutable std::mutex mu_;
  AccountingTotals totals_;  // guarded by mu_
};

}  // namespace tern::server
