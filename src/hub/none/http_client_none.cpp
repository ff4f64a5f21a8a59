// The Hub client's transport in a build without libcurl (the Windows and macOS cross builds:
// no libcurl or libcrypto is built for those targets here). Every request fails as an
// unreachable Hub does, so -hf still resolves files already in the Hub cache (the offline
// path, with a note saying why) and names the missing file otherwise.
#include "hub/http_client.h"

namespace tern::hub {

TransferResult perform(const Transfer& t, const HttpConfig&) {
  throw NetworkError(t.url + ": this build of tern has no HTTPS client (built without libcurl); download the file "
                     "with huggingface-cli or a browser into the Hub cache, or pass -m FILE");
}

}  // namespace tern::hub
