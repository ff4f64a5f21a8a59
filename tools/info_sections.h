// Extra sections for `tern info FILE`: the hook through which other parts of tern describe
// a file from their point of view (e.g. the model loader's "how this file will run":
// hyper-parameters it derived, which kernel and repacking each weight gets). A
// tools/cmd_info_<topic>.cpp registers a function at static-initialization time:
//
//   static const bool registered = tern::cli::register_info_section(
//       [](const tern::gguf::File& f) -> std::optional<tern::cli::InfoSection> {
//         tern::cli::InfoSection s;
//         s.title = "how this file will run";
//         s.rows.emplace_back("kernel", "avx2-mad");
//         s.json["kernel"] = "avx2-mad";
//         return s;   // or std::nullopt when the section does not apply to this file
//       });
//
// `tern info` prints every section after the metadata (text: "title:" then "  label: value"
// rows; --json: under "sections"."<title>"). A tern::Error thrown by a section is shown in
// that section, not fatal: the rest of the file is still described.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"

namespace tern::cli {

struct InfoSection {
  std::string title;
  std::vector<std::pair<std::string, std::string>> rows;  // text output
  nlohmann::json json = nlohmann::json::object();          // --json output
};

using InfoSectionFn = std::function<std::optional<InfoSection>(const gguf::File&)>;

bool register_info_section(InfoSectionFn fn);
const std::vector<InfoSectionFn>& info_sections();

}  // namespace tern::cli
