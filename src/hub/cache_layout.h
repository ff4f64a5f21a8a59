// The Hugging Face Hub's own cache layout (huggingface_hub's file_download.py), so a file
// fetched by `huggingface-cli download` is found by tern and the other way round:
//
//   .locks/models--{org}--{name}/{etag}.lock   held (flock) while that blob is downloaded
//   $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub
//     models--{org}--{name}/
//       blobs/{etag}                  the content, named by its ETag (LFS: the SHA-256)
//       blobs/{etag}.incomplete       a download in progress (resumed with Range)
//       refs/{revision}               the commit hash the revision ("main") last resolved to
//       snapshots/{commit}/{path}     a relative symlink to ../../blobs/{etag}
//
// and tern's own cache for GGUFs converted from checkpoints:
//   $TERN_CACHE_DIR, else $XDG_CACHE_HOME/tern, else ~/.cache/tern
//     converted/models--{org}--{name}/{commit}/model-{type}.gguf
#pragma once

#include "platform/file_lock.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tern::hub {

namespace fs = std::filesystem;

fs::path hub_cache_dir();   // from the environment, as above
fs::path tern_cache_dir();  // likewise
// $HF_TOKEN, else the file $HF_TOKEN_PATH or $HF_HOME/token (huggingface-cli login), trimmed.
std::string hub_token();

// "org/name" -> "models--org--name".
std::string repo_folder_name(const std::string& repo);

class RepoCache {
 public:
  RepoCache(const fs::path& cache_dir, const std::string& repo);
  const fs::path& dir() const { return dir_; }

  fs::path blob(const std::string& etag) const;
  fs::path incomplete(const std::string& etag) const;
  fs::path lock_file(const std::string& etag) const;  // {cache}/.locks/models--.../{etag}.lock
  fs::path snapshot_dir(const std::string& commit) const;
  fs::path snapshot_file(const std::string& commit, const std::string& path) const;

  // The commit of `revision`: itself when it is a 40-hex commit, else refs/{revision}.
  std::optional<std::string> commit_of(const std::string& revision) const;
  void write_ref(const std::string& revision, const std::string& commit) const;
  // snapshots/{commit}/{path} -> ../../blobs/{etag} (one more ../ per directory in path).
  fs::path link_snapshot(const std::string& commit, const std::string& path, const std::string& etag) const;
  // The files of a snapshot that resolve to something (relative paths, sorted).
  std::vector<std::string> snapshot_files(const std::string& commit) const;

 private:
  fs::path cache_dir_;
  fs::path dir_;
};

// A name that is safe as one path component: [A-Za-z0-9_-], 1..128 characters (commits and
// ETags from the Hub become directory and file names).
bool is_safe_name(const std::string& s);

// An exclusive lock on a lock file (created with its folders), released on destruction:
// two processes (tern or huggingface_hub, which locks the same file) never write one blob.
class FileLock {
 public:
  explicit FileLock(const fs::path& path);

 private:
  static std::string created(const fs::path& path);  // makes the folders, returns the path
  ExclusiveFileLock lock_;
};
bool is_commit_hash(const std::string& s);  // 40 lower-case hex digits

}  // namespace tern::hub
