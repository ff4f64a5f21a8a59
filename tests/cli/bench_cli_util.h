// Helpers for the bench / perplexity / compare_peers CLI tests: run a shell command and
// capture its output, make scratch directories, convert the golden tiny model once.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

namespace tern::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& path, const std::string& text, bool executable = false) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  if (executable) ::chmod(path.c_str(), 0755);
}

// A temporary directory removed at the end of the scope.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tern-cli-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs `command` through /bin/sh; stdout and stderr are captured separately (via files, so
// a large output on one cannot block the other).
inline CommandResult run_command(const std::string& command) {
  ScratchDir dir;
  const std::string out = dir / "stdout", err = dir / "stderr";
  const std::string full = "(" + command + ") >'" + out + "' 2>'" + err + "' </dev/null";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

// The golden tiny-a model converted to GGUF by `tern convert`, once per test process.
inline const std::string& converted_tiny_a() {
  static std::once_flag once;
  static std::string path;
  static std::unique_ptr<ScratchDir> dir;
  std::call_once(once, [] {
    dir = std::make_unique<ScratchDir>();
    const std::string out = *dir / "tiny-a.gguf";
    CommandResult r = run_command(shell_quote(TERN_BINARY) + " convert " +
                                  shell_quote(std::string(TERN_SHARED_DIR) + "/golden/tiny-a") + " -o " +
                                  shell_quote(out));
    if (r.exit_code == 0 && std::filesystem::exists(out)) path = out;
    else std::fprintf(stderr, "tern convert failed (%d): %s%s\n", r.exit_code, r.out.c_str(), r.err.c_str());
  });
  return path;
}

}  // namespace tern::testing
