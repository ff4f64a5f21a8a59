#include "hub/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <vector>

#include "tern/error.h"

namespace tern::hub {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr) throw Error("SHA-256: out of memory");
  reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::reset() {
  if (EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) throw Error("SHA-256: EVP_DigestInit_ex failed");
}

void Sha256::update(const void* data, size_t n) {
  if (n > 0 && EVP_DigestUpdate(impl_->ctx, data, n) != 1) throw Error("SHA-256: EVP_DigestUpdate failed");
}

std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, md, &len) != 1) throw Error("SHA-256: EVP_DigestFinal_ex failed");
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  reset();
  return out;
}

void hash_file_prefix(const std::filesystem::path& path, uint64_t bytes, Sha256& sha) {
  std::FILE* f = std::fopen(path.string().c_str(), "rb");
  if (f == nullptr) throw Error(path.string() + ": cannot open to hash the part already downloaded");
  std::vector<char> buf(1 << 20);
  uint64_t left = bytes;
  while (left > 0) {
    const size_t want = left < buf.size() ? static_cast<size_t>(left) : buf.size();
    const size_t got = std::fread(buf.data(), 1, want, f);
    if (got == 0) break;
    sha.update(buf.data(), got);
    left -= got;
  }
  std::fclose(f);
  if (left != 0) throw Error(path.string() + ": shorter than the " + std::to_string(bytes) + " bytes it had");
}

}  // namespace tern::hub
