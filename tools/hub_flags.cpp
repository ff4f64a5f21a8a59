#include "tools/hub_flags.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "hub/hub_client.h"
#include "hub/repo_spec.h"
#include "tern/error.h"

namespace tern::cli {

namespace {

std::string mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  return buf;
}

// One line redrawn in place: name [#####.....] 42% 120.0 MiB / 285.0 MiB 12.3 MiB/s ETA 13s.
// Only for a person watching (stderr a terminal): logs get no "\r" lines.
class DownloadBar {
 public:
  void update(const hub::DownloadProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = true;
      start_ = now;
      start_bytes_ = p.done;
    }
    if (!p.finished && drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(p.done - start_bytes_) / secs : 0;
    const double frac = p.total ? static_cast<double>(p.done) / static_cast<double>(p.total) : 0;
    constexpr int kWidth = 24;
    std::string bar(static_cast<size_t>(frac * kWidth), '#');
    bar.resize(kWidth, '.');
    const double eta = rate > 0 && p.total ? static_cast<double>(p.total - p.done) / rate : 0;
    std::fprintf(stderr, "\r\033[K%-.40s [%s] %3d%% %s / %s %.1f MiB/s ETA %.0fs", p.name.c_str(), bar.c_str(),
                 static_cast<int>(frac * 100), mib(p.done).c_str(), p.total ? mib(p.total).c_str() : "?", rate / (1 << 20), eta);
    if (p.finished) std::fprintf(stderr, "\n");
    std::fflush(stderr);
    drawn_ = !p.finished;
    if (p.finished) started_ = false;
  }

 private:
  bool started_ = false, drawn_ = false;
  uint64_t start_bytes_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace

void add_hub_flags(CLI::App& sub, HubFlags& f) {
  sub.add_option("--hf-repo", f.repo,
                 "model from the Hugging Face Hub (also -hf): REPO[:FILE] or REPO:QUANT, e.g. "
                 "microsoft/bitnet-b1.58-2B-4T-gguf; downloaded into the Hub cache (see tern pull)");
  sub.add_option("--hf-file", f.file, "the file in the -hf repo (also -hff)");
}

std::string pull_from_hub(const std::string& spec_text, const std::string& file) {
  const hub::RepoSpec spec = hub::parse_repo_spec(spec_text, file);
  hub::HubOptions o = hub::hub_options_from_env();
  if (::isatty(STDERR_FILENO)) {
    auto bar = std::make_shared<DownloadBar>();
    o.progress = [bar](const hub::DownloadProgress& p) { bar->update(p); };
  }
  o.note = [](const std::string& s) { std::fprintf(stderr, "tern: note: %s\n", s.c_str()); };
  return hub::resolve_gguf(spec, o);
}

std::string model_path(const std::string& model, const HubFlags& hub) {
  if (!model.empty() && !hub.repo.empty()) throw Error("-m and -hf both name a model: give one");
  if (!model.empty()) {
    if (!hub.file.empty()) throw Error("--hf-file needs -hf REPO");
    return model;
  }
  if (hub.repo.empty()) throw Error("no model: give -m FILE.gguf or -hf REPO[:FILE]");
  return pull_from_hub(hub.repo, hub.file);
}

}  // namespace tern::cli
