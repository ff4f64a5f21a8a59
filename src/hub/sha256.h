// SHA-256 over a stream of bytes (OpenSSL's EVP): the Hub names an LFS file by the SHA-256 of
// its content (X-Linked-Etag), so a download is hashed as it arrives and checked before it
// enters the cache.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace tern::hub {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t n);
  std::string hex();  // finishes: lower-case hex of the digest; the object is then reset
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hashes the first `bytes` of `path` into `sha` (the prefix of a resumed download).
void hash_file_prefix(const std::filesystem::path& path, uint64_t bytes, Sha256& sha);

}  // namespace tern::hub
