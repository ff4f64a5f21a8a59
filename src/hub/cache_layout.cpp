#include "hub/cache_layout.h"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include "tern/error.h"

namespace tern::hub {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

fs::path user_cache_home() {
  if (std::string x = env("XDG_CACHE_HOME"); !x.empty()) return x;
  if (std::string h = env("HOME"); !h.empty()) return fs::path(h) / ".cache";
  throw Error("neither HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME nor HOME is set: no place for the Hub cache");
}

fs::path hf_home() {
  if (std::string h = env("HF_HOME"); !h.empty()) return h;
  return user_cache_home() / "huggingface";
}

std::string trim(std::string s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

fs::path hub_cache_dir() {
  if (std::string c = env("HF_HUB_CACHE"); !c.empty()) return c;
  return hf_home() / "hub";
}

fs::path tern_cache_dir() {
  if (std::string c = env("TERN_CACHE_DIR"); !c.empty()) return c;
  return user_cache_home() / "tern";
}

std::string hub_token() {
  if (std::string t = trim(env("HF_TOKEN")); !t.empty()) return t;
  fs::path file = env("HF_TOKEN_PATH");
  if (file.empty()) {
    try {
      file = hf_home() / "token";
    } catch (const Error&) {
      return "";
    }
  }
  std::ifstream in(file);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return trim(ss.str());
}

std::string repo_folder_name(const std::string& repo) {
  std::string out = "models--";
  for (char c : repo) {
    if (c == '/') out += "--";
    else out += c;
  }
  return out;
}

bool is_safe_name(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

bool is_commit_hash(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

RepoCache::RepoCache(const fs::path& cache_dir, const std::string& repo)
    : cache_dir_(cache_dir), dir_(cache_dir / repo_folder_name(repo)) {}

fs::path RepoCache::lock_file(const std::string& etag) const {
  return cache_dir_ / ".locks" / dir_.filename() / (etag + ".lock");
}

std::string FileLock::created(const fs::path& path) {
  fs::create_directories(path.parent_path());
  return path.string();
}

FileLock::FileLock(const fs::path& path) : lock_(created(path)) {}

fs::path RepoCache::blob(const std::string& etag) const { return dir_ / "blobs" / etag; }
fs::path RepoCache::incomplete(const std::string& etag) const { return dir_ / "blobs" / (etag + ".incomplete"); }
fs::path RepoCache::snapshot_dir(const std::string& commit) const { return dir_ / "snapshots" / commit; }
fs::path RepoCache::snapshot_file(const std::string& commit, const std::string& path) const {
  return snapshot_dir(commit) / path;
}

std::optional<std::string> RepoCache::commit_of(const std::string& revision) const {
  if (is_commit_hash(revision)) return revision;
  std::ifstream in(dir_ / "refs" / revision);
  if (!in) return std::nullopt;
  std::string commit;
  std::getline(in, commit);
  commit = trim(commit);
  if (!is_safe_name(commit)) throw Error((dir_ / "refs" / revision).string() + ": not a commit hash: '" + commit + "'");
  return commit;
}

void RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;
  const fs::path ref = dir_ / "refs" / revision;
  fs::create_directories(ref.parent_path());
  const fs::path tmp = ref.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << commit;  // huggingface_hub writes the hash without a newline
    if (!out) throw Error(tmp.string() + ": cannot write");
  }
  fs::rename(tmp, ref);
}

fs::path RepoCache::link_snapshot(const std::string& commit, const std::string& path, const std::string& etag) const {
  const fs::path link = snapshot_file(commit, path);
  fs::create_directories(link.parent_path());
  fs::path target = "../..";
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '/') target /= "..";
  }
  target = target / "blobs" / etag;
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_symlink(target, link, ec);
  if (ec) {
    // A file system without symlinks (huggingface_hub copies the blob then): copy too.
    fs::copy_file(blob(etag), link, fs::copy_options::overwrite_existing);
  }
  return link;
}

std::vector<std::string> RepoCache::snapshot_files(const std::string& commit) const {
  std::vector<std::string> files;
  const fs::path dir = snapshot_dir(commit);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (fs::is_regular_file(it->path(), ec)) files.push_back(it->path().lexically_relative(dir).generic_string());  // not fs::relative: it resolves the symlinks
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace tern::hub
