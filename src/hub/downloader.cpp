#include "hub/downloader.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <system_error>

#include "hub/sha256.h"
#include "tern/error.h"

namespace tern::hub {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The .incomplete file, its length and the hash of what it holds, kept in step.
class PartFile {
 public:
  PartFile(const fs::path& path, const std::optional<uint64_t>& expected) : path_(path) {
    std::error_code ec;
    if (fs::exists(path_, ec)) {
      have_ = fs::file_size(path_);
      if (expected && have_ > *expected) have_ = 0;  // longer than the file: not a prefix of it
      if (have_ > 0) hash_file_prefix(path_, have_, sha_);
    }
    open(have_ == 0);
  }
  ~PartFile() {
    if (f_ != nullptr) std::fclose(f_);
  }
  uint64_t size() const { return have_; }
  void restart() {  // the server sent the whole file, or the prefix is not one
    sha_.reset();
    have_ = 0;
    open(true);
  }
  bool write(const char* data, size_t n) {
    if (std::fwrite(data, 1, n, f_) != n) return false;
    sha_.update(data, n);
    have_ += n;
    return true;
  }
  void flush() {
    if (std::fflush(f_) != 0) throw Error(path_.string() + ": cannot write (disk full?)");
  }
  void close() {
    flush();
    std::fclose(f_);
    f_ = nullptr;
  }
  std::string hex() { return sha_.hex(); }

 private:
  void open(bool truncate) {
    if (f_ != nullptr) std::fclose(f_);
    fs::create_directories(path_.parent_path());
    if (!truncate) fs::resize_file(path_, have_);
    f_ = std::fopen(path_.string().c_str(), truncate ? "wb" : "ab");
    if (f_ == nullptr) throw Error(path_.string() + ": cannot open for writing");
  }

  fs::path path_;
  std::FILE* f_ = nullptr;
  uint64_t have_ = 0;
  Sha256 sha_;
};

std::string status_error(const std::string& url, const TransferResult& r) {
  std::string msg = url + ": HTTP " + std::to_string(r.status);
  if (auto e = r.headers.get("x-error-message")) msg += ": " + *e;
  return msg;
}

}  // namespace

void download_blob(const BlobDownload& d, const HttpConfig& config, const ProgressFn& progress) {
  PartFile part(d.incomplete, d.size);
  DownloadProgress p{d.name, part.size(), d.size.value_or(0), false};
  std::string last_error;
  bool complete = false;
  for (int attempt = 0; attempt < d.max_attempts; ++attempt) {
    if (d.size && part.size() == *d.size) {  // a complete file left by an earlier run
      complete = true;
      break;
    }
    // file left by an earlier run
    Transfer t;
    t.url = d.url;
    t.follow_redirects = true;
    t.range_start = part.size();
    bool write_failed = false;
    bool decided = false;
    t.on_body = [&](const ResponseHeaders& h, const char* data, size_t n) {
      if (!decided) {  // the first body bytes: does the answer continue our prefix?
        decided = true;
        if (h.status() == 206) {
          const auto start = content_range_start(h.get("content-range").value_or(""));
          if (!start || *start != part.size()) {
            last_error = d.url + ": asked for bytes " + std::to_string(part.size()) + "- and got Content-Range '" +
                         h.get("content-range").value_or("") + "'";
            part.restart();
            return false;  // start over from byte 0
          }
        } else if (part.size() > 0) {
          part.restart();  // 200: the server ignored Range and sends the whole file
        }
        if (!d.size) {
          if (auto total = h.get("content-length")) {
            if (auto n_total = parse_size(*total)) p.total = part.size() + *n_total;
          }
        }
      }
      if (!part.write(data, n)) {
        write_failed = true;
        return false;
      }
      p.done = part.size();
      if (progress) progress(p);
      return true;
    };
    TransferResult r;
    try {
      r = perform(t, config);
    } catch (const NetworkError& e) {
      last_error = e.what();
      part.flush();
      continue;  // the next attempt resumes
    }
    part.flush();
    if (write_failed) throw Error(d.incomplete.string() + ": cannot write (disk full?)");
    if (r.status == 416) {  // our prefix is not a prefix of this file: start over
      last_error = d.url + ": HTTP 416 for Range bytes=" + std::to_string(t.range_start) + "-";
      part.restart();
      continue;
    }
    if (r.status / 100 != 2) throw Error(status_error(d.url, r));
    if (r.cut) {
      last_error = r.error;
      continue;
    }
    if (!d.size || part.size() == *d.size) {
      complete = true;
      break;
    }
    last_error = d.url + ": the answer ended after " + std::to_string(part.size()) + " of " + std::to_string(*d.size) + " bytes";
  }
  if (!complete) {
    throw Error(d.name + ": download incomplete after " + std::to_string(d.max_attempts) + " attempts (" +
                std::to_string(part.size()) + (d.size ? " of " + std::to_string(*d.size) : std::string()) +
                " bytes kept in " + d.incomplete.string() + " for the next try): " + last_error);
  }
  const uint64_t bytes = part.size();
  const std::string got = part.hex();
  part.close();
  if (!d.sha256.empty() && got != lower(d.sha256)) {
    std::error_code ec;
    fs::remove(d.incomplete, ec);
    throw Error(d.name + ": SHA-256 mismatch: the Hub names the file " + lower(d.sha256) + " (X-Linked-Etag) but the " +
                std::to_string(bytes) + " bytes downloaded from " + d.url + " hash to " + got +
                "; the download was deleted and nothing entered the cache");
  }
  fs::rename(d.incomplete, d.blob);
  p.done = p.total = bytes;
  p.finished = true;
  if (progress) progress(p);
}

}  // namespace tern::hub
