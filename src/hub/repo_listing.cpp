#include "hub/repo_listing.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "tern/error.h"

namespace tern::hub {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string basename(const std::string& p) {
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "(none)" : out;
}

// Files a checkpoint conversion reads besides the weights (the ones the repo has).
constexpr std::string_view kCheckpointSideFiles[] = {
    "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
    "tokenizer.model", "special_tokens_map.json", "model.safetensors.index.json",
};

// Ternary GGUF types tern loads, in the order preferred when a repo offers several files.
constexpr std::string_view kTernaryTags[] = {"i2_s", "tern_t2", "tern_t1", "tq2_0", "tq1_0"};

}  // namespace

std::vector<RepoFile> parse_tree_listing(std::string_view text, const std::string& what) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(what + ": the file listing is not JSON");
  if (!j.is_array()) throw Error(what + ": the file listing is not a JSON array");
  std::vector<RepoFile> files;
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& e = j[i];
    const std::string at = what + ": entry " + std::to_string(i);
    if (!e.is_object()) throw Error(at + " is not an object");
    const auto type = e.find("type");
    if (type != e.end() && (!type->is_string() || type->get<std::string>() != "file")) continue;  // directories
    const auto path = e.find("path");
    if (path == e.end() || !path->is_string()) throw Error(at + ": no string \"path\"");
    RepoFile f{path->get<std::string>(), std::nullopt};
    check_repo_path(f.path, at);
    if (const auto size = e.find("size"); size != e.end() && size->is_number_unsigned()) f.size = size->get<uint64_t>();
    files.push_back(std::move(f));
  }
  return files;
}

Choice choose_files(const RepoSpec& spec, const std::vector<std::string>& paths) {
  Choice c;
  if (!spec.file.empty()) {
    c.files = {spec.file};
    if (ends_with(lower(spec.file), ".gguf")) {
      c.gguf = spec.file;
      return c;
    }
    throw Error(spec.repo + ":" + spec.file + ": not a .gguf file (name no file to convert a checkpoint: give REPO alone)");
  }
  std::vector<std::string> ggufs;
  for (const std::string& p : paths) {
    if (ends_with(lower(p), ".gguf")) ggufs.push_back(p);
  }
  if (!spec.quant.empty()) {
    const std::string tag = lower(spec.quant);
    std::vector<std::string> match;
    for (const std::string& g : ggufs) {
      if (lower(basename(g)).find(tag) != std::string::npos) match.push_back(g);
    }
    if (match.size() != 1) {
      throw Error(spec.repo + ":" + spec.quant + ": " + (match.empty() ? "no GGUF" : std::to_string(match.size()) + " GGUFs") +
                  " match the tag; the repo's GGUFs: " + joined(match.empty() ? ggufs : match) + " (name one as REPO:FILE)");
    }
    c.gguf = match.front();
  } else if (ggufs.size() == 1) {
    c.gguf = ggufs.front();
  } else if (ggufs.size() > 1) {
    for (std::string_view tag : kTernaryTags) {
      std::vector<std::string> match;
      for (const std::string& g : ggufs) {
        if (lower(basename(g)).find(tag) != std::string::npos) match.push_back(g);
      }
      if (match.size() == 1) {
        c.gguf = match.front();
        break;
      }
      if (match.size() > 1) {
        throw Error(spec.repo + ": " + std::to_string(match.size()) + " " + std::string(tag) + " GGUFs: " + joined(match) +
                    " (name one as REPO:FILE)");
      }
    }
    if (c.gguf.empty()) {
      throw Error(spec.repo + ": several GGUFs and none of a ternary type tern prefers (i2_s, tern_t2, tern_t1, tq2_0, tq1_0): " +
                  joined(ggufs) + " (name one as REPO:FILE)");
    }
  }
  if (!c.gguf.empty()) {
    c.files = {c.gguf};
    return c;
  }
  // No GGUF: a Hugging Face checkpoint?
  const bool has_config = std::find(paths.begin(), paths.end(), "config.json") != paths.end();
  std::vector<std::string> weights;
  for (const std::string& p : paths) {
    if (p.find('/') == std::string::npos && ends_with(p, ".safetensors")) weights.push_back(p);
  }
  if (!has_config || weights.empty()) {
    throw Error(spec.repo + ": no GGUF and no Hugging Face checkpoint (config.json + *.safetensors) in the repo; its files: " +
                joined(paths));
  }
  for (std::string_view side : kCheckpointSideFiles) {
    if (std::find(paths.begin(), paths.end(), side) != paths.end()) c.files.emplace_back(side);
  }
  c.files.insert(c.files.end(), weights.begin(), weights.end());
  return c;
}

}  // namespace tern::hub
