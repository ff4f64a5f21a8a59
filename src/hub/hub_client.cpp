#include "hub/hub_client.h"

#include <cctype>
#include <cstdlib>
#include <optional>
#include <system_error>
#include <vector>

#include "hub/cache_layout.h"
#include "hub/repo_listing.h"
#include "tern/convert.h"
#include "tern/error.h"

namespace tern::hub {

namespace fs = std::filesystem;

namespace {

bool env_true(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return false;
  const std::string s = v;
  return s == "1" || s == "true" || s == "TRUE" || s == "True" || s == "yes" || s == "YES" || s == "on" || s == "ON";
}

// "%2F"-style escaping of the few characters a repo path may hold that a URL path may not.
std::string url_path(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

[[noreturn]] void throw_for_status(const RepoSpec& spec, const HubOptions& o, const std::string& url, const TransferResult& r) {
  std::string server = r.headers.get("x-error-message").value_or("");
  const std::string code = r.headers.get("x-error-code").value_or("");
  std::string msg = spec.repo + ": " + url + " answered HTTP " + std::to_string(r.status);
  if (!server.empty()) msg += " (" + server + ")";
  if (r.status == 401 || r.status == 403) {
    const bool gated = code == "GatedRepo" || server.find("gated") != std::string::npos || r.status == 403;
    msg += gated ? ": the repo is gated" : ": the repo is gated or private";
    msg += o.http.token.empty()
               ? " and no token was sent; set HF_TOKEN (or run `huggingface-cli login`, which writes $HF_HOME/token) "
                 "to a token of an account with access"
               : " and the token sent (HF_TOKEN or $HF_HOME/token) has no access to it";
    msg += "; request access at " + o.endpoint + "/" + spec.repo;
  } else if (r.status == 404) {
    msg += code == "RevisionNotFound" ? ": no revision '" + spec.revision + "'"
           : code == "EntryNotFound"  ? ": no such file in the repo"
                                       : ": no such repo (or it is private: set HF_TOKEN)";
  }
  throw Error(msg);
}

std::string offline_hint(const HubOptions& o) {
  return o.offline ? "HF_HUB_OFFLINE is set" : "the Hub (" + o.endpoint + ") cannot be reached";
}

class Resolver {
 public:
  Resolver(const RepoSpec& spec, const HubOptions& o) : spec_(spec), o_(o), cache_(o.cache_dir, spec.repo) {}

  std::string run() {
    if (o_.offline) return from_cache();
    std::vector<std::string> paths;
    try {
      if (spec_.file.empty()) paths = list();
      const Choice choice = choose_files(spec_, paths);
      std::string commit;
      for (const std::string& f : choice.files) commit = fetch(f, commit);
      return finish(choice, commit);
    } catch (const NetworkError& e) {
      note(std::string(e.what()) + "; using the local cache");
      return from_cache();
    }
  }

 private:
  void note(const std::string& s) const {
    if (o_.note) o_.note(s);
  }

  std::vector<std::string> list() {
    const std::string url = o_.endpoint + "/api/models/" + spec_.repo + "/tree/" + url_path(spec_.revision) + "?recursive=true";
    Transfer t;
    t.url = url;
    t.follow_redirects = true;
    TransferResult r = perform(t, o_.http);
    if (r.cut) throw Error(url + ": " + r.error);
    if (r.status != 200) throw_for_status(spec_, o_, url, r);
    std::vector<std::string> paths;
    for (const RepoFile& f : parse_tree_listing(r.body, url)) paths.push_back(f.path);
    return paths;
  }

  // Downloads `path` unless its blob is cached; returns the commit it belongs to.
  std::string fetch(const std::string& path, const std::string& expected_commit) {
    // All files of one choice come from the revision as the first file resolved it.
    const std::string rev = expected_commit.empty() ? spec_.revision : expected_commit;
    std::string url = o_.endpoint + "/" + spec_.repo + "/resolve/" + url_path(rev) + "/" + url_path(path);
    TransferResult head;
    for (int hop = 0;; ++hop) {  // follow relative redirects (a renamed repo), not the CDN's
      Transfer t;
      t.url = url;
      t.head = true;
      head = perform(t, o_.http);
      const std::string loc = head.headers.get("location").value_or("");
      if (head.status / 100 == 3 && !loc.empty() && loc[0] == '/' && head.headers.get("x-repo-commit") == std::nullopt &&
          hop < 5) {
        url = o_.endpoint + loc;
        continue;
      }
      break;
    }
    if (head.status / 100 != 2 && head.status / 100 != 3) throw_for_status(spec_, o_, url, head);
    const FileMetadata m = file_metadata(head.headers, url);
    const fs::path blob = cache_.blob(m.etag);
    std::error_code ec;
    std::optional<FileLock> lock;
    if (!fs::exists(blob, ec)) lock.emplace(cache_.lock_file(m.etag));  // then look again: another process may have finished it
    if (!fs::exists(blob, ec)) {
      BlobDownload d;
      d.url = !m.location.empty() ? (m.location[0] == '/' ? o_.endpoint + m.location : m.location) : url;
      d.name = spec_.repo + "/" + path;
      d.incomplete = cache_.incomplete(m.etag);
      d.blob = blob;
      if (m.lfs) d.sha256 = m.etag;
      d.size = m.size;
      HttpConfig http = o_.http;
      if (!same_origin(d.url, o_.endpoint)) http.token.clear();  // the CDN's signed URL needs none
      download_blob(d, http, o_.progress);
    }
    cache_.write_ref(spec_.revision, m.commit);
    cache_.link_snapshot(m.commit, path, m.etag);
    return m.commit;
  }

  std::string finish(const Choice& choice, const std::string& commit) {
    if (!choice.checkpoint()) return cache_.snapshot_file(commit, choice.gguf).string();
    return converted(commit);
  }

  // The GGUF converted from the checkpoint in snapshots/{commit}, converted now if needed.
  std::string converted(const std::string& commit) {
    const fs::path out = o_.tern_cache_dir / "converted" / repo_folder_name(spec_.repo) / commit / "model-tern_t2.gguf";
    std::error_code ec;
    if (fs::exists(out, ec)) return out.string();
    fs::create_directories(out.parent_path());
    note("converting the checkpoint " + spec_.repo + "@" + commit.substr(0, 12) + " to " + out.string());
    ConvertOptions c;
    c.input_dir = cache_.snapshot_dir(commit).string();
    c.output_path = out.string();
    convert_hf_to_gguf(c);
    return out.string();
  }

  std::string from_cache() {
    const std::optional<std::string> commit = cache_.commit_of(spec_.revision);
    const std::string where = cache_.dir().string();
    if (!commit) {
      throw Error(spec_.repo + ": " + offline_hint(o_) + " and the repo's revision '" + spec_.revision +
                  "' is not in the local cache (" + where + "); run `tern pull " + spec_.repo + "` with the network first");
    }
    if (!spec_.file.empty()) {
      const fs::path f = cache_.snapshot_file(*commit, spec_.file);
      std::error_code ec;
      if (!fs::exists(f, ec)) {
        throw Error(spec_.repo + ":" + spec_.file + ": " + offline_hint(o_) + " and the file is not in the local cache (" +
                    f.string() + " is missing)");
      }
      (void)choose_files(spec_, {});  // still must be a .gguf
      return f.string();
    }
    const std::vector<std::string> files = cache_.snapshot_files(*commit);
    Choice choice;
    try {
      choice = choose_files(spec_, files);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " [" + offline_hint(o_) + "; only the cached snapshot " +
                  cache_.snapshot_dir(*commit).string() + " was looked at]");
    }
    for (const std::string& f : choice.files) {
      std::error_code ec;
      if (!fs::exists(cache_.snapshot_file(*commit, f), ec)) {
        throw Error(spec_.repo + ": " + offline_hint(o_) + " and " + f + " is not in the local cache");
      }
    }
    return finish(choice, *commit);
  }

  RepoSpec spec_;
  const HubOptions& o_;
  RepoCache cache_;
};

}  // namespace

HubOptions hub_options_from_env() {
  HubOptions o;
  const char* ep = std::getenv("HF_ENDPOINT");
  o.endpoint = ep != nullptr && *ep != '\0' ? ep : "https://huggingface.co";
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  o.offline = env_true("HF_HUB_OFFLINE");
  o.cache_dir = hub_cache_dir();
  o.tern_cache_dir = tern_cache_dir();
  o.http.token = hub_token();
  o.http.ca_bundle = ca_bundle_from_env();
  return o;
}

std::string resolve_gguf(const RepoSpec& spec, const HubOptions& options) { return Resolver(spec, options).run(); }

}  // namespace tern::hub
