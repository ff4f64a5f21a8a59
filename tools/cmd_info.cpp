// `tern info FILE [--json]`: what a GGUF file holds (format, architecture, hyper-parameters,
// tokenizer, chat template, other metadata, tensor table, totals per type), plus any
// sections registered through tools/info_sections.h.
// `tern info --kernels`: the ternary kernels compiled in, and every entry of the backend table
// (kernels/backend.h): its implementations, which one runs here and why.
// The facts come from gguf::summarize (src/gguf/gguf_summary.h); this file only prints.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"
#include "gguf/gguf_summary.h"
#include "kernels/backend.h"
#include "kernels/ternary.h"
#include "tern/error.h"
#include "tools/command.h"
#include "tools/info_sections.h"

namespace tern::cli {

static std::vector<InfoSectionFn>& section_registry() {
  static std::vector<InfoSectionFn> list;
  return list;
}
bool register_info_section(InfoSectionFn fn) {
  section_registry().push_back(std::move(fn));
  return true;
}
const std::vector<InfoSectionFn>& info_sections() { return section_registry(); }

}  // namespace tern::cli

namespace {

using nlohmann::json;
using namespace tern::gguf;

struct InfoArgs {
  std::string file;
  bool json = false;
  bool kernels = false;
};

// Control characters (newlines in a template, say) would break the text layout.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += '?';
    else out += c;
  }
  return out;
}

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(1ull << 30));
  else if (b >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1ull << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  return buf;
}

std::string human_count(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.2f B", double(n) / 1e9);
  else if (n >= 1000000ull) std::snprintf(buf, sizeof buf, "%.2f M", double(n) / 1e6);
  else if (n >= 1000ull) std::snprintf(buf, sizeof buf, "%.1f K", double(n) / 1e3);
  else std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  return buf;
}

// JSON for one value: scalars as JSON scalars, arrays summarized as "type[count]".
json value_json(const Value& v) {
  switch (v.type) {
    case ValueType::U8: case ValueType::U16: case ValueType::U32: case ValueType::U64: return v.u;
    case ValueType::I8: case ValueType::I16: case ValueType::I32: case ValueType::I64: return v.i;
    case ValueType::F32: return std::strtod(describe_value(v).c_str(), nullptr);  // 1e-05, not 9.9999997e-06
    case ValueType::F64: return v.f;
    case ValueType::BOOL: return v.u != 0;
    case ValueType::STRING: return std::string(v.str);
    case ValueType::ARRAY: return describe_value(v);
  }
  return nullptr;
}

std::vector<tern::cli::InfoSection> run_sections(const File& f) {
  std::vector<tern::cli::InfoSection> out;
  for (const auto& fn : tern::cli::info_sections()) {
    try {
      if (auto s = fn(f)) out.push_back(std::move(*s));
    } catch (const tern::Error& e) {
      tern::cli::InfoSection s;
      s.title = "section error";
      s.rows.emplace_back("error", e.what());
      s.json["error"] = e.what();
      out.push_back(std::move(s));
    }
  }
  return out;
}

json info_json(const File& f, const Summary& s) {
  json j;
  j["file"] = f.path();
  j["file_size"] = f.file_size();
  j["version"] = f.version();
  j["alignment"] = f.alignment();
  j["data_offset"] = f.data_offset();
  j["architecture"] = s.architecture;
  j["hparams"] = json::object();
  for (const KeyValue* kv : s.hparams) j["hparams"][kv->key] = value_json(kv->value);
  json& tok = j["tokenizer"];
  tok["present"] = s.tokenizer.present;
  tok["model"] = s.tokenizer.model;
  tok["pre"] = s.tokenizer.pre;
  tok["vocab_size"] = s.tokenizer.vocab_size;
  tok["merges"] = s.tokenizer.merges;
  auto id = [](const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); };
  tok["bos"] = id(s.tokenizer.bos);
  tok["eos"] = id(s.tokenizer.eos);
  tok["eot"] = id(s.tokenizer.eot);
  j["chat_template"] = {{"present", s.has_chat_template}, {"length", s.chat_template_length}};
  j["metadata"] = json::object();
  for (const KeyValue* kv : s.other) j["metadata"][kv->key] = value_json(kv->value);
  j["tensors"] = json::array();
  for (const TensorInfo& t : f.tensors()) {
    j["tensors"].push_back({{"name", t.name}, {"type", type_name(t.type)}, {"shape", t.dims},
                            {"bytes", t.nbytes}, {"offset", t.offset}});
  }
  json by_type = json::array();
  for (const TypeTotal& t : s.by_type) {
    by_type.push_back({{"type", type_name(t.type)}, {"tensors", t.tensors}, {"params", t.elements},
                       {"bytes", t.bytes}, {"bits_per_weight", t.bits_per_weight()}});
  }
  j["totals"] = {{"tensors", s.n_tensors}, {"bytes", s.total_bytes}, {"params", s.total_elements},
                 {"by_type", by_type}};
  j["sections"] = json::object();
  for (const auto& sec : run_sections(f)) j["sections"][sec.title] = sec.json;
  return j;
}

void print_text(const File& f, const Summary& s) {
  std::printf("file:          %s (%s, %llu bytes)\n", f.path().c_str(), human_bytes(f.file_size()).c_str(),
              static_cast<unsigned long long>(f.file_size()));
  std::printf("format:        GGUF v%u, alignment %llu, data section at offset %llu\n", f.version(),
              static_cast<unsigned long long>(f.alignment()), static_cast<unsigned long long>(f.data_offset()));
  std::printf("architecture:  %s\n", s.architecture.empty() ? "(none: no general.architecture)"
                                                             : printable(s.architecture).c_str());

  std::printf("\nhyper-parameters:%s\n", s.hparams.empty() ? " (none)" : "");
  for (const KeyValue* kv : s.hparams) {
    std::printf("  %-48s %s\n", printable(kv->key).c_str(), printable(describe_value(kv->value)).c_str());
  }

  const TokenizerSummary& t = s.tokenizer;
  if (t.present) {
    auto id = [](const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
    std::printf("\ntokenizer:     %s%s, %llu tokens, %llu merges, bos %s, eos %s, eot %s\n",
                t.model.empty() ? "(no model)" : printable(t.model).c_str(),
                t.pre.empty() ? "" : (" (pre " + printable(t.pre) + ")").c_str(),
                static_cast<unsigned long long>(t.vocab_size), static_cast<unsigned long long>(t.merges),
                id(t.bos).c_str(), id(t.eos).c_str(), id(t.eot).c_str());
  } else {
    std::printf("\ntokenizer:     none\n");
  }
  if (s.has_chat_template) {
    std::printf("chat template: present (%llu bytes)\n", static_cast<unsigned long long>(s.chat_template_length));
  } else {
    std::printf("chat template: none\n");
  }

  std::printf("\nother metadata:%s\n", s.other.empty() ? " (none)" : "");
  for (const KeyValue* kv : s.other) {
    std::printf("  %-40s %-7s %s\n", printable(kv->key).c_str(), value_type_name(kv->value.type),
                printable(describe_value(kv->value)).c_str());
  }

  for (const auto& sec : run_sections(f)) {
    std::printf("\n%s:\n", printable(sec.title).c_str());
    for (const auto& [label, value] : sec.rows) std::printf("  %-24s %s\n", printable(label).c_str(), printable(value).c_str());
  }

  std::printf("\ntensors:\n  %-36s %-8s %-22s %12s\n", "name", "type", "shape", "bytes");
  for (const TensorInfo& ti : f.tensors()) {
    std::printf("  %-36s %-8s %-22s %12llu\n", printable(ti.name).c_str(), type_name(ti.type),
                shape_string(ti.dims).c_str(), static_cast<unsigned long long>(ti.nbytes));
  }
  std::printf("\ntotals:        %llu tensors, %s params, %s of tensor data\n",
              static_cast<unsigned long long>(s.n_tensors), human_count(s.total_elements).c_str(),
              human_bytes(s.total_bytes).c_str());
  for (const TypeTotal& bt : s.by_type) {
    std::printf("  %-8s %4llu tensors %12llu params %12llu bytes %7.3f bits/weight%s\n", type_name(bt.type),
                static_cast<unsigned long long>(bt.tensors), static_cast<unsigned long long>(bt.elements),
                static_cast<unsigned long long>(bt.bytes), bt.bits_per_weight(),
                type_traits(bt.type)->loadable ? "" : "  (tern cannot run this type)");
  }
}

// The kernel list and the backend table: every entry, its implementations and the choice
// (TERN_KERNEL applied). `error` is set if TERN_KERNEL names a bad kernel or implementation.
json kernels_json(std::string& error) {
  json j;
  j["kernels"] = json::array();
  for (const auto* k : tern::kernels::all_kernels()) {
    // TERN_T1 (1.6-bit) files: kernels without T1 code hand T1 matrices to another kernel.
    const std::string t1 = tern::kernels::kernel_name_for(*k, tern::kernels::TernaryFormat::T1);
    j["kernels"].push_back({{"name", k->name}, {"description", k->description},
                            {"supported", k->supported()}, {"priority", k->priority},
                            {"tern_t1", t1 == k->name ? std::string("own code") : "runs " + t1 + "'s T1 code"}});
  }
  std::optional<tern::kernels::Backend> backend;
  try {
    backend = tern::kernels::select_backend_from_env();
    j["selected"] = backend->ternary->name;
    j["why"] = backend->why_of(tern::kernels::Entry::Ternary);
  } catch (const tern::Error& e) {
    error = e.what();
    j["selected"] = nullptr;
    j["why"] = error;
  }
  // Every entry of the backend table (the best choice when TERN_KERNEL is bad: the list of
  // what is compiled in is still worth printing).
  j["backend"] = json::array();
  for (const auto& e : tern::kernels::describe_backend(backend ? *backend : tern::kernels::best_backend())) {
    json impls = json::array();
    for (const auto& i : e.impls) {
      impls.push_back({{"name", i.name}, {"description", i.description}, {"needs", i.needs}, {"supported", i.supported}});
    }
    j["backend"].push_back({{"entry", e.entry}, {"description", e.description}, {"implementations", impls},
                            {"selected", backend ? json(e.chosen) : json(nullptr)},
                            {"why", backend ? e.why : error}});
  }
  return j;
}

void print_kernels_text(const json& k) {
  std::printf("ternary kernels (best first):\n");
  for (const json& e : k["kernels"]) {
    std::printf("  %-14s %-13s priority %3d  %s; TERN_T1: %s\n", e["name"].get<std::string>().c_str(),
                e["supported"].get<bool>() ? "supported" : "not supported", e["priority"].get<int>(),
                e["description"].get<std::string>().c_str(), e["tern_t1"].get<std::string>().c_str());
  }
  if (k["selected"].is_null()) {
    std::printf("selected: none (%s)\n", k["why"].get<std::string>().c_str());
  } else {
    std::printf("selected: %s (%s)\n", k["selected"].get<std::string>().c_str(), k["why"].get<std::string>().c_str());
  }
  std::printf("\nbackend (TERN_KERNEL=<kernel> or <entry>=<impl>,...; \"scalar\" forces every entry):\n");
  for (const json& e : k["backend"]) {
    std::printf("  %-10s %s\n", e["entry"].get<std::string>().c_str(), e["description"].get<std::string>().c_str());
    for (const json& i : e["implementations"]) {
      const bool chosen = !e["selected"].is_null() && e["selected"] == i["name"];
      std::printf("    %s %-12s %-13s %s\n", chosen ? "*" : " ", i["name"].get<std::string>().c_str(),
                  i["supported"].get<bool>() ? "supported" : ("needs " + i["needs"].get<std::string>()).c_str(),
                  i["description"].get<std::string>().c_str());
    }
    if (!e["selected"].is_null()) std::printf("    selected: %s (%s)\n", e["selected"].get<std::string>().c_str(), e["why"].get<std::string>().c_str());
  }
}

int run_info(const InfoArgs& a) {
  if (a.file.empty() && !a.kernels) throw tern::Error("give a GGUF FILE, or --kernels");
  std::string kernel_error;
  const json kernels = a.kernels ? kernels_json(kernel_error) : json();
  std::optional<File> f;
  std::optional<Summary> s;
  if (!a.file.empty()) {
    f.emplace(File::open(a.file));
    s.emplace(summarize(*f));
  }
  if (a.json) {
    json j = f ? info_json(*f, *s) : json::object();
    if (a.kernels) j["kernels"] = kernels;
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    if (a.kernels) print_kernels_text(kernels);
    if (a.kernels && f) std::printf("\n");
    if (f) print_text(*f, *s);
  }
  return kernel_error.empty() ? 0 : 1;
}

const bool registered = tern::cli::register_command(
    {"info", "Describe a GGUF model file (metadata, tokenizer, tensors) or the kernels",
     [](CLI::App& sub) {
       auto args = std::make_shared<InfoArgs>();
       sub.add_option("file", args->file, "GGUF file to describe");
       sub.add_flag("--json", args->json, "print JSON instead of text (for scripts)");
       sub.add_flag("--kernels", args->kernels, "list the kernels of every backend entry and the ones this CPU would use");
       return [args] { return run_info(*args); };
     },
     20});

}  // namespace
