// One file from the Hub into blobs/: streamed into blobs/{etag}.incomplete while hashed,
// resumed with "Range: bytes=N-" (a partial file left by an earlier run, or a connection cut
// now: retried a bounded number of times), checked against the LFS SHA-256, and only then
// renamed to blobs/{etag}. A file whose hash does not match never enters the cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "hub/http_client.h"

namespace tern::hub {

struct DownloadProgress {
  std::string name;      // the file's path in the repo
  uint64_t done = 0;     // bytes in the .incomplete file
  uint64_t total = 0;    // 0 when unknown
  bool finished = false;
};

struct BlobDownload {
  std::string url;                     // followed through redirects (the CDN)
  std::string name;                    // for messages and the progress bar
  std::filesystem::path incomplete;
  std::filesystem::path blob;
  std::string sha256;                  // expected (LFS), lower or upper case; empty: not checked
  std::optional<uint64_t> size;        // expected, when the Hub said
  int max_attempts = 5;                // requests before a cut connection is an error
};

using ProgressFn = std::function<void(const DownloadProgress&)>;

// Throws tern::Error naming the URL: an HTTP error status, a connection cut more than
// max_attempts times, a size or SHA-256 mismatch (both hashes in the message).
void download_blob(const BlobDownload& d, const HttpConfig& config, const ProgressFn& progress);

}  // namespace tern::hub
