// `tern bench`: prompt processing (pp N) and generation (tg N) speed, like llama-bench.
//
// For each thread count: pp N evaluates N placeholder tokens in one call (the batched GEMM
// path) from an empty cache; tg N evaluates N tokens one at a time (the GEMV path) from an
// empty cache. Each test runs once untimed (warm-up: page faults of the mapping, caches),
// then -r times timed; the figure is the median tokens/s ± the sample standard deviation.
// Around every timed repetition the RAPL counters are read (src/runtime/energy.h), so
// J/token is measured energy divided by tokens, or "unavailable (why)" — never an estimate.

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "platform/process_stats.h"
#include "platform/terminal.h"
#include "runtime/energy.h"
#include "runtime/read_bandwidth.h"
#include "runtime/timer.h"
#include "tern/error.h"
#include "tern/model.h"
#include "tern/session.h"
#include "tools/command.h"
#include "tools/model_flags.h"

namespace tern::cli {
namespace {

struct BenchOptions {
  std::string model;
  HubFlags hub;
  std::vector<int> n_prompt{512};
  std::vector<int> n_gen{128};
  int repetitions = 5;
  std::vector<int> threads;
  std::string kernel;
  std::string kv_type = "f16";
  int batch = 0;  // 0 = the session's default prefill batch
  bool json = false;
  bool warmup = true;
  bool bandwidth = true;  // measure the machine's read bandwidth for the tg roofline
  std::string powercap_root = EnergyMeter::kDefaultRoot;
};

struct Stats {
  double median = 0, mean = 0, stddev = 0;
};

Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  return s;
}

// Energy of one test, summed over its timed repetitions.
struct TestEnergy {
  bool measured = false;
  std::string reason;  // "energy: unavailable (...)" when !measured
  EnergyDelta joules;  // summed
  double tokens = 0;   // tokens over which `joules` was spent
};

struct TestResult {
  std::string name;  // "pp512", "tg128"
  int threads = 0;
  int n_prompt = 0, n_gen = 0;
  std::vector<double> samples_ns, samples_ts;
  TestEnergy energy;
};

// Every parameter of the model, counted from the hyper-parameters as llama-bench counts
// tensor elements: embedding, each layer's 7 matrices and 4 norms, the final norm, and a
// separate lm_head when the file has one.
uint64_t count_params(const Model& model) {
  const ModelHParams& h = model.hparams();
  const uint64_t e = h.n_embd, q = h.n_head * h.head_dim, kv = h.n_head_kv * h.head_dim, f = h.n_ff;
  const uint64_t per_layer = e * q + 2 * e * kv + q * e + 2 * e * f + f * e + e + q + e + f;
  uint64_t total = uint64_t(h.n_vocab) * e + uint64_t(h.n_layer) * per_layer + e;
  if (model.report().lm_head.rfind("output", 0) == 0) total += uint64_t(h.n_vocab) * e;
  return total;
}

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1024.0 * 1024));
  return buf;
}

std::string human_count(double n) {
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2f B", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", n / 1e6);
  else std::snprintf(buf, sizeof buf, "%.2f K", n / 1e3);
  return buf;
}

// Placeholder tokens: uniformly random ids from a fixed seed (as llama-bench), so every
// run and every engine sees the same kind of input.
std::vector<int32_t> placeholder_tokens(int n, int64_t n_vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(n_vocab - 1));
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (auto& id : ids) id = dist(rng);
  return ids;
}

class Runner {
 public:
  Runner(const BenchOptions& o, std::shared_ptr<const Model> model, const EnergyMeter& meter)
      : o_(o), model_(std::move(model)), meter_(meter) {}

  TestResult run(bool prompt, int n, int threads) {
    TestResult r;
    r.name = (prompt ? "pp" : "tg") + std::to_string(n);
    r.threads = threads;
    (prompt ? r.n_prompt : r.n_gen) = n;
    SessionOptions so;
    so.n_ctx = n;
    so.n_threads = threads;
    so.kv_type = o_.kv_type == "f32" ? KvType::F32 : KvType::F16;
    if (o_.batch > 0) so.n_batch = o_.batch;
    Session session(model_, so);
    const std::vector<int32_t> ids = placeholder_tokens(n, session.n_vocab(), 1234u + static_cast<uint32_t>(n));

    auto once = [&](int count) {
      session.reset();
      if (prompt) {
        session.eval(std::span<const int32_t>(ids.data(), static_cast<size_t>(count)));
      } else {
        for (int i = 0; i < count; ++i) session.eval(std::span<const int32_t>(&ids[static_cast<size_t>(i)], 1));
      }
    };
    if (o_.warmup) once(prompt ? n : std::min(n, 4));

    r.energy.measured = meter_.available();
    r.energy.reason = meter_.unavailable_reason();
    for (int rep = 0; rep < o_.repetitions; ++rep) {
      if (progress_) {
        std::fprintf(stderr, "\rtern bench: %s, %d thread%s, repetition %d/%d   ", r.name.c_str(), threads,
                     threads == 1 ? "" : "s", rep + 1, o_.repetitions);
      }
      EnergySample before, after;
      if (r.energy.measured) r.energy.measured = meter_.sample(before, &r.energy.reason);
      Stopwatch sw;
      once(n);
      const int64_t ns = sw.nanoseconds();
      if (r.energy.measured) r.energy.measured = meter_.sample(after, &r.energy.reason);
      if (r.energy.measured) {
        const EnergyDelta d = meter_.delta(before, after);
        r.energy.joules.package_j += d.package_j;
        r.energy.joules.dram_j += d.dram_j;
        r.energy.joules.core_j += d.core_j;
        r.energy.joules.uncore_j += d.uncore_j;
        r.energy.joules.psys_j += d.psys_j;
        r.energy.joules.has_dram |= d.has_dram;
        r.energy.joules.has_core |= d.has_core;
        r.energy.joules.has_uncore |= d.has_uncore;
        r.energy.joules.has_psys |= d.has_psys;
        r.energy.tokens += n;
      }
      r.samples_ns.push_back(static_cast<double>(ns));
      r.samples_ts.push_back(ns > 0 ? n * 1e9 / static_cast<double>(ns) : 0.0);
    }
    if (progress_) std::fprintf(stderr, "\r%*s\r", 60, "");
    return r;
  }

 private:
  const BenchOptions& o_;
  std::shared_ptr<const Model> model_;
  const EnergyMeter& meter_;
  const bool progress_ = is_terminal(StdStream::kErr);  // "\r" lines only for a person watching
};

// The machine's read bandwidth with `threads` threads, both page sizes
// (src/runtime/read_bandwidth.h: the definition bench_kernels uses too). Decode streams
// every weight once per token, so bytes per token / the better of the two is the fastest
// tg can be (its roofline). Run after peak RSS is read, so the buffers are not counted.
struct MachineBandwidth {
  double small_gbps = 0, huge_gbps = 0;
  double best() const { return std::max(small_gbps, huge_gbps); }
};

MachineBandwidth measure_machine_bandwidth(int threads) {
  MachineBandwidth m;
  m.small_gbps = measure_read_bandwidth(threads, PageKind::Small).gbps;
  const ReadBandwidth huge = measure_read_bandwidth(threads, PageKind::Huge);
  // A kernel without THP leaves the "huge" buffer in 4 KiB pages: then there is no
  // second figure.
  if (huge.huge_bytes > 0) m.huge_gbps = huge.gbps;
  return m;
}

double j_per_token(const TestEnergy& e, double joules) { return e.tokens > 0 ? joules / e.tokens : 0.0; }

int run_bench(const BenchOptions& o) {
  if (o.repetitions < 1) throw Error("-r must be at least 1");
  for (int n : o.n_prompt)
    if (n < 0) throw Error("-p must be >= 0");
  for (int n : o.n_gen)
    if (n < 0) throw Error("-n must be >= 0");
  if (o.kv_type != "f16" && o.kv_type != "f32") throw Error("--kv-type must be f16 or f32, not '" + o.kv_type + "'");
  std::vector<int> threads = o.threads;
  if (threads.empty()) threads.push_back(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  for (int t : threads)
    if (t < 1) throw Error("-t values must be >= 1");

  ModelOptions mo;
  mo.kernel = o.kernel;
  mo.load_threads = *std::max_element(threads.begin(), threads.end());
  Stopwatch load_sw;
  std::shared_ptr<const Model> model = Model::load(o.model, mo);
  const double load_seconds = load_sw.seconds();
  const EnergyMeter meter(o.powercap_root);

  Runner runner(o, model, meter);
  std::vector<TestResult> results;
  for (int t : threads) {
    for (int n : o.n_prompt)
      if (n > 0) results.push_back(runner.run(true, n, t));
    for (int n : o.n_gen)
      if (n > 0) results.push_back(runner.run(false, n, t));
  }
  const uint64_t peak_rss = peak_rss_bytes().value_or(0);
  std::map<int, MachineBandwidth> machine;  // by thread count, for the tg roofline
  if (o.bandwidth) {
    for (const TestResult& r : results)
      if (r.n_gen > 0 && !machine.count(r.threads)) machine[r.threads] = measure_machine_bandwidth(r.threads);
  }

  const ModelHParams& hp = model->hparams();
  const LoadReport& rep = model->report();
  const uint64_t params = count_params(*model);
  const uint64_t file_bytes = rep.file_bytes;
  const uint64_t bytes_per_token = model->bytes_per_token();
  std::string model_name = hp.name.empty() ? o.model.substr(o.model.find_last_of('/') + 1) : hp.name;
  const std::string model_type = hp.arch + " " + human_count(double(params)) + " " + rep.ternary_type;

  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const TestResult& r : results) {
      Stats ns = stats_of(r.samples_ns), ts = stats_of(r.samples_ts);
      nlohmann::json j;
      j["engine"] = "tern";
      j["model_filename"] = o.model;
      j["model_name"] = model_name;
      j["model_type"] = model_type;
      j["model_size"] = file_bytes;
      j["model_n_params"] = params;
      j["kernel"] = rep.kernel;
      j["type_kv"] = o.kv_type;
      j["n_threads"] = r.threads;
      j["n_batch"] = o.batch > 0 ? int64_t(o.batch) : SessionOptions{}.n_batch;  // the prefill batch in effect
      j["n_prompt"] = r.n_prompt;
      j["n_gen"] = r.n_gen;
      j["test"] = r.name;
      j["repetitions"] = o.repetitions;
      j["avg_ns"] = static_cast<uint64_t>(ns.mean);
      j["stddev_ns"] = static_cast<uint64_t>(ns.stddev);
      j["avg_ts"] = ts.mean;
      j["stddev_ts"] = ts.stddev;
      j["median_ts"] = ts.median;
      j["samples_ns"] = r.samples_ns;
      j["samples_ts"] = r.samples_ts;
      j["load_seconds"] = load_seconds;
      j["peak_rss_bytes"] = peak_rss;
      j["weight_bytes_per_token"] = bytes_per_token;
      if (r.n_gen > 0) j["implied_read_gbps"] = double(bytes_per_token) * ts.median / 1e9;
      if (r.n_gen > 0 && machine.count(r.threads)) {
        const double gbps = machine[r.threads].best();
        j["machine_read_gbps"] = gbps;
        j["machine_read_gbps_4k_pages"] = machine[r.threads].small_gbps;
        j["machine_read_gbps_2m_pages"] = machine[r.threads].huge_gbps;
        j["roofline_ts"] = gbps * 1e9 / double(bytes_per_token);
        j["roofline_fraction"] = double(bytes_per_token) * ts.median / 1e9 / gbps;
      }
      nlohmann::json e;
      e["available"] = r.energy.measured;
      if (r.energy.measured) {
        e["tokens"] = r.energy.tokens;
        e["package_j"] = r.energy.joules.package_j;
        e["dram_j"] = r.energy.joules.has_dram ? nlohmann::json(r.energy.joules.dram_j) : nlohmann::json(nullptr);
        e["total_j"] = r.energy.joules.total_j();
        e["package_j_per_token"] = j_per_token(r.energy, r.energy.joules.package_j);
        e["dram_j_per_token"] = r.energy.joules.has_dram ? nlohmann::json(j_per_token(r.energy, r.energy.joules.dram_j))
                                                          : nlohmann::json(nullptr);
        e["j_per_token"] = j_per_token(r.energy, r.energy.joules.total_j());
      } else {
        e["reason"] = r.energy.reason;
      }
      j["energy"] = e;
      out.push_back(j);
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  std::printf("| model | size | params | kernel | kv | threads | test | t/s | J/token |\n");
  std::printf("| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: |\n");
  for (const TestResult& r : results) {
    Stats ts = stats_of(r.samples_ts);
    char jt[32] = "n/a";
    if (r.energy.measured) std::snprintf(jt, sizeof jt, "%.4f", j_per_token(r.energy, r.energy.joules.total_j()));
    std::printf("| %s | %s | %s | %s | %s | %d | %s | %.2f ± %.2f | %s |\n", model_type.c_str(),
                human_bytes(double(file_bytes)).c_str(), human_count(double(params)).c_str(), rep.kernel.c_str(),
                o.kv_type.c_str(), r.threads, r.name.c_str(), ts.median, ts.stddev, jt);
  }
  std::printf("\nmodel: %s  load: %.3f s  peak RSS: %s\n", o.model.c_str(), load_seconds,
              peak_rss ? human_bytes(double(peak_rss)).c_str() : "unknown");
  std::printf("weights in 2 MiB pages: %.1f MB of %.1f MB per token (the rest in 4 KiB pages)\n",
              double(std::min(huge_weight_bytes(rep), bytes_per_token)) / 1e6, double(bytes_per_token) / 1e6);
  bool any_energy = false;
  for (const TestResult& r : results) {
    if (!r.energy.measured) continue;
    any_energy = true;
    const EnergyDelta& d = r.energy.joules;
    std::printf("energy %s t=%d: package %.3f J", r.name.c_str(), r.threads, d.package_j);
    if (d.has_dram) std::printf(" + dram %.3f J", d.dram_j);
    std::printf(" over %.0f tokens = %.6f J/token (package %.6f", r.energy.tokens,
                j_per_token(r.energy, d.total_j()), j_per_token(r.energy, d.package_j));
    if (d.has_dram) std::printf(", dram %.6f", j_per_token(r.energy, d.dram_j));
    std::printf(")\n");
  }
  if (!any_energy) {
    // Every test failed for the same reason unless a counter vanished mid-run.
    std::string reason = results.empty() ? meter.unavailable_reason() : results.front().energy.reason;
    if (reason.empty()) reason = meter.unavailable_reason();
    std::printf("%s\n", reason.c_str());
  } else {
    for (const TestResult& r : results)
      if (!r.energy.measured) std::printf("%s t=%d: %s\n", r.name.c_str(), r.threads, r.energy.reason.c_str());
  }
  for (const TestResult& r : results) {
    if (r.n_gen == 0) continue;
    const double tps = stats_of(r.samples_ts).median;
    std::printf("%s t=%d: %.3f MB of weights per token x %.2f t/s = %.2f GB/s read", r.name.c_str(), r.threads,
                double(bytes_per_token) / 1e6, tps, double(bytes_per_token) * tps / 1e9);
    if (machine.count(r.threads)) {
      const double gbps = machine[r.threads].best();
      std::printf("; machine reads %.2f GB/s at %d thread%s (4 KiB pages %.2f, 2 MiB pages %.2f): roofline %.2f t/s, tg at %.0f%% of it",
                  gbps, r.threads, r.threads == 1 ? "" : "s", machine[r.threads].small_gbps, machine[r.threads].huge_gbps,
                  gbps * 1e9 / double(bytes_per_token), 100.0 * double(bytes_per_token) * tps / 1e9 / gbps);
      if (double(bytes_per_token) * tps / 1e9 > gbps) std::printf(" (the weights fit in cache: no DRAM roofline)");
    }
    std::printf("\n");
  }
  return 0;
}

[[maybe_unused]] const bool registered = register_command(
    {"bench", "Measure prompt (pp) and generation (tg) speed, memory and energy",
     [](CLI::App& sub) {
       auto o = std::make_shared<BenchOptions>();
       // A repeated scalar option takes its last value (as llama-bench); lists keep all.
       sub.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
       sub.add_option("-m,--model", o->model, "GGUF model file (or -hf REPO)");
       add_hub_flags(sub, o->hub);
       sub.add_option("-p,--n-prompt", o->n_prompt, "prompt lengths to test (comma list; 0 = none)")
           ->delimiter(',')->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->capture_default_str();
       sub.add_option("-n,--n-gen", o->n_gen, "generation lengths to test (comma list; 0 = none)")
           ->delimiter(',')->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->capture_default_str();
       sub.add_option("-r,--repetitions", o->repetitions, "timed repetitions per test")->capture_default_str();
       sub.add_option("-t,--threads", o->threads, "thread counts (comma list; default: all hardware threads)")
           ->delimiter(',')->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->transform(threads_within_cores());
       sub.add_option("-b,--batch-size", o->batch, "prefill batch (tokens per GEMM; 0 = session default)");
       sub.add_option("--kernel", o->kernel, "ternary kernel (default: the dispatch choice)");
       sub.add_option("--kv-type", o->kv_type, "KV cache type: f16 or f32")->capture_default_str();
       sub.add_flag("--json", o->json, "print a JSON array (llama-bench -o json field names) instead of a table");
       sub.add_flag("!--no-warmup", o->warmup, "skip the untimed warm-up run of each test");
       sub.add_flag("!--no-bandwidth", o->bandwidth,
                    "skip measuring the machine's read bandwidth (256 MiB read in 4 KiB and in 2 MiB pages per thread count, for the tg roofline)");
       sub.add_option("--powercap-root", o->powercap_root, "where the RAPL powercap tree is")->capture_default_str();
       return [o] {
         o->model = model_path(o->model, o->hub);
         return run_bench(*o);
       };
     },
     60});

}  // namespace
}  // namespace tern::cli
