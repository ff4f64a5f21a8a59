// SHA-256 in a build without libcrypto: only downloads hash, and such a build downloads
// nothing (none/http_client_none.cpp), so reaching this is an internal error, said plainly.
#include "hub/sha256.h"

#include "tern/error.h"

namespace tern::hub {

struct Sha256::Impl {};

Sha256::Sha256() { throw Error("internal error: SHA-256 needs libcrypto, which this build of tern lacks"); }
Sha256::~Sha256() = default;
void Sha256::update(const void*, size_t) {}
std::string Sha256::hex() { return ""; }
void Sha256::reset() {}
void hash_file_prefix(const std::filesystem::path&, uint64_t, Sha256&) {}

}  // namespace tern::hub
