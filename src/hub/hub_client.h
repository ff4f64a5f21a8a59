// `REPO[:FILE]` to a local GGUF path: the one entry point of src/hub for `tern pull` and -hf.
//
//  online:  list the repo when no file is named (tree API), choose (repo_listing.h), ask each
//           file's metadata (HEAD {endpoint}/{repo}/resolve/{revision}/{file}, redirects not
//           followed), download what the cache lacks (downloader.h), write refs/ and
//           snapshots/ like huggingface_hub; a checkpoint is then converted once per commit.
//  offline: HF_HUB_OFFLINE=1, or the endpoint unreachable: resolved through refs/ and
//           snapshots/ alone; a file not there is an error saying so.
// Endpoint: $HF_ENDPOINT, else https://huggingface.co. Token: hub_token() (cache_layout.h).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "hub/downloader.h"
#include "hub/http_client.h"
#include "hub/repo_spec.h"

namespace tern::hub {

struct HubOptions {
  std::string endpoint;                  // no trailing slash
  bool offline = false;
  std::filesystem::path cache_dir;       // the Hub cache
  std::filesystem::path tern_cache_dir;  // converted checkpoints
  HttpConfig http;
  ProgressFn progress;                                 // download progress (may be empty)
  std::function<void(const std::string&)> note;        // one-line notes for stderr (may be empty)
};

HubOptions hub_options_from_env();

// The local path of the GGUF `spec` names (downloaded or converted as needed).
std::string resolve_gguf(const RepoSpec& spec, const HubOptions& options);

}  // namespace tern::hub
