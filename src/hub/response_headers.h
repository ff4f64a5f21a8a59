// HTTP response headers as libcurl hands them over (one line at a time, every response of a
// redirect chain in turn), and the Hub's file metadata read from them:
//   X-Repo-Commit          the commit the revision resolved to
//   X-Linked-Etag / ETag   the content's id: for an LFS file the SHA-256 (X-Linked-Etag,
//                          because ETag then belongs to the redirect), else the git blob id
//   X-Linked-Size / Content-Length
//   Location               where a 3xx sends the download (the Hub's CDN for LFS files)
// All of it is untrusted input (fuzz/fuzz_hub.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::hub {

class ResponseHeaders {
 public:
  // One raw header line ("Name: value\r\n"); a status line ("HTTP/1.1 302 Found") starts a
  // new response and forgets the previous one's headers.
  void add_line(std::string_view line);
  // The value of the last header called `name` (case-insensitive), trimmed.
  std::optional<std::string> get(std::string_view name) const;
  int status() const { return status_; }

 private:
  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;  // lower-case name, value
};

struct FileMetadata {
  std::string commit;                // X-Repo-Commit
  std::string etag;                  // normalized (no W/ and no quotes)
  bool lfs = false;                  // etag came from X-Linked-Etag: it is the SHA-256
  std::optional<uint64_t> size;
  std::string location;              // Location of a 3xx answer, if any
};

// Throws tern::Error naming `url` when a field the cache needs is missing or unusable.
FileMetadata file_metadata(const ResponseHeaders& headers, const std::string& url);

// "W/\"abc\"" -> "abc".
std::string normalize_etag(std::string_view etag);
// A decimal byte count, or nullopt when it is not one (no sign, no overflow).
std::optional<uint64_t> parse_size(std::string_view text);
// The first byte of "Content-Range: bytes START-END/TOTAL", or nullopt.
std::optional<uint64_t> content_range_start(std::string_view value);

}  // namespace tern::hub
