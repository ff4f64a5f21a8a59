#include "hub/repo_spec.h"

#include <cctype>

#include "tern/error.h"

namespace tern::hub {

namespace {

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

void check_name(std::string_view name, std::string_view repo) {
  // Appended piece by piece: GCC 12's -Wrestrict misfires on "'" + std::string(...).
  std::string why = "'";
  why.append(repo).append("' is not a Hugging Face repo id (org/name): ");
  if (name.empty()) throw Error(why + "an empty name");
  if (name.size() > 96) throw Error(why + "a name longer than 96 characters");
  for (char c : name) {
    if (!name_char(c)) throw Error(why + "only letters, digits, '.', '_' and '-' are allowed");
  }
  if (name.find("--") != std::string_view::npos || name.find("..") != std::string_view::npos) {
    throw Error(why + "'--' and '..' are not allowed");
  }
  if (name.front() == '-' || name.front() == '.' || name.back() == '-' || name.back() == '.') {
    throw Error(why + "a name cannot start or end with '-' or '.'");
  }
}

}  // namespace

void check_repo_id(std::string_view repo) {
  const size_t slash = repo.find('/');
  if (slash == std::string_view::npos) {
    check_name(repo, repo);
    return;
  }
  check_name(repo.substr(0, slash), repo);
  check_name(repo.substr(slash + 1), repo);
}

void check_repo_path(std::string_view path, std::string_view what) {
  const std::string why = std::string(what) + " '" + std::string(path) + "' is not a file path in the repo: ";
  if (path.empty()) throw Error(std::string(what) + ": an empty file path");
  if (path.size() > 1024) throw Error(why + "longer than 1024 bytes");
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') throw Error(why + "a control character or backslash");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") throw Error(why + "empty, '.' or '..' component");
    start = end + 1;
  }
}

RepoSpec parse_repo_spec(std::string_view text, std::string_view file_flag) {
  RepoSpec spec;
  std::string quoted = "'";
  quoted.append(text).append("'");
  const size_t colon = text.find(':');
  spec.repo = std::string(text.substr(0, colon));
  check_repo_id(spec.repo);
  if (colon != std::string_view::npos) {
    const std::string_view suffix = text.substr(colon + 1);
    if (suffix.empty()) throw Error(quoted + ": nothing after ':' (REPO:FILE or REPO:QUANT)");
    if (!file_flag.empty()) {
      throw Error(quoted + " names a file or tag and --hf-file names '" + std::string(file_flag) +
                  "': give one");
    }
    if (suffix.find('.') != std::string_view::npos || suffix.find('/') != std::string_view::npos) {
      spec.file = std::string(suffix);
    } else {
      for (char c : suffix) {
        if (!name_char(c)) throw Error(quoted + ": the tag after ':' may hold letters, digits, '_' and '-'");
      }
      spec.quant = std::string(suffix);
    }
  } else if (!file_flag.empty()) {
    spec.file = std::string(file_flag);
  }
  if (!spec.file.empty()) check_repo_path(spec.file, spec.repo);
  return spec;
}

}  // namespace tern::hub
