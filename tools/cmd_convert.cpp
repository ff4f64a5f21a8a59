// `tern convert HF_DIR -o OUT.gguf [--type ...] [--embd-type ...] [--dry-run]`: a Hugging
// Face BitNet b1.58 checkpoint to GGUF (see include/tern/convert.h).
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "platform/terminal.h"
#include "tern/convert.h"
#include "tools/command.h"

namespace {

struct ConvertArgs {
  std::string input;
  std::string output;
  std::string type = "tern_t2";
  std::string embd_type = "f16";
  bool dry_run = false;
};

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / (1ull << 30));
  else if (b >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1ull << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  return buf;
}

std::string dims_string(const std::vector<uint64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

// One line redrawn in place: [#####.....] 12/332 blk.3.ffn_up.weight 120/600 MiB ETA 4s
class ProgressBar {
 public:
  ProgressBar() : start_(std::chrono::steady_clock::now()) {}
  void update(const tern::ConvertProgress& p) {
    // At most ~20 redraws a second, but always the last one.
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && p.bytes_done < p.bytes_total && now - last_ < std::chrono::milliseconds(50)) return;
    last_ = now;
    const double frac = p.bytes_total ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 1.0;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta = frac > 0.001 ? secs * (1 - frac) / frac : 0;
    constexpr int kWidth = 28;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r\033[K[%s] %3d%% %zu/%zu %-28.28s %s / %s ETA %.0fs", bar.c_str(),
                 static_cast<int>(frac * 100), p.tensor_index + 1, p.tensor_count, p.tensor_name.c_str(),
                 human_bytes(p.bytes_done).c_str(), human_bytes(p.bytes_total).c_str(), eta);
    std::fflush(stderr);
    drawn_ = true;
  }
  void end() {
    if (drawn_) std::fprintf(stderr, "\n");
  }

 private:
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  bool drawn_ = false;
};

int run_convert(const ConvertArgs& a) {
  tern::ConvertOptions opt;
  opt.input_dir = a.input;
  opt.output_path = a.output;
  opt.weight_type = tern::parse_weight_type(a.type);
  opt.embd_type = tern::parse_embd_type(a.embd_type);
  opt.dry_run = a.dry_run;
  auto bar = std::make_shared<ProgressBar>();
  if (!a.dry_run && tern::is_terminal(tern::StdStream::kErr)) opt.progress = [bar](const tern::ConvertProgress& p) { bar->update(p); };
  tern::ConvertReport r;
  try {
    r = tern::convert_hf_to_gguf(opt);
  } catch (...) {
    bar->end();
    throw;
  }
  bar->end();

  std::printf("%s: %s checkpoint, arch %s\n  %s\n", a.input.c_str(), r.layout.c_str(), r.arch.c_str(), r.summary.c_str());
  if (a.dry_run) {
    std::printf("plan (%zu tensors):\n", r.tensors.size());
    for (const auto& t : r.tensors) {
      std::printf("  %-28s %-8s %-16s %10s  <- %s\n", t.name.c_str(), t.type.c_str(), dims_string(t.dims).c_str(),
                  human_bytes(t.bytes).c_str(), t.source.c_str());
    }
  }
  std::map<std::string, std::pair<int, uint64_t>> by_type;
  for (const auto& t : r.tensors) {
    by_type[t.type].first++;
    by_type[t.type].second += t.bytes;
  }
  std::printf("%s %zu tensors:", a.dry_run ? "would write" : "wrote", r.tensors.size());
  for (const auto& [type, cb] : by_type) std::printf(" %d x %s (%s)", cb.first, type.c_str(), human_bytes(cb.second).c_str());
  std::printf("\n");
  for (const auto& n : r.notes) std::printf("note: %s\n", n.c_str());
  if (a.dry_run) {
    std::printf("dry run: input valid, nothing written (tensor data %s), %.2f s\n", human_bytes(r.tensor_bytes).c_str(), r.seconds);
  } else {
    std::printf("%s: %s in %.2f s\n", a.output.c_str(), human_bytes(r.file_bytes).c_str(), r.seconds);
  }
  return 0;
}

const bool registered = tern::cli::register_command(
    {"convert", "Convert a Hugging Face BitNet b1.58 checkpoint to GGUF",
     [](CLI::App& sub) {
       auto a = std::make_shared<ConvertArgs>();
       sub.add_option("input", a->input, "Hugging Face model folder (config.json, *.safetensors, tokenizer.json)")->required();
       sub.add_option("-o,--output", a->output, "output GGUF file");
       sub.add_option("--type", a->type, "BitLinear weight type: tern_t2 (default), tern_t1 (1.6-bit), i2_s, tq2_0, tq1_0")
           ->check(CLI::IsMember({"tern_t2", "tern_t1", "i2_s", "tq2_0", "tq1_0"}));
       sub.add_option("--embd-type", a->embd_type, "token embedding / lm_head type: f16 (default), f32, q8_0, q6_k, q4_0")
           ->check(CLI::IsMember({"f16", "f32", "q8_0", "q6_k", "q4_0"}));
       sub.add_flag("--dry-run", a->dry_run, "validate the checkpoint and print the plan; write nothing");
       return [a] {
         if (!a->dry_run && a->output.empty()) {
           std::fprintf(stderr, "tern convert: -o OUT.gguf is required (or --dry-run)\n");
           return 2;
         }
         return run_convert(*a);
       };
     },
     30});

}  // namespace
