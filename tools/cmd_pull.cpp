// `tern pull REPO[:FILE]`: download a GGUF (or a checkpoint, then converted) from the Hugging
// Face Hub into its cache and print the local path (tools/hub_flags.h, src/hub/).
#include <cstdio>
#include <memory>
#include <string>

#include "tools/command.h"
#include "tools/hub_flags.h"

namespace {

struct PullArgs {
  std::string spec;
  std::string file;
};

const bool registered = tern::cli::register_command(
    {"pull", "Download a model from the Hugging Face Hub (REPO[:FILE]) and print its local path",
     [](CLI::App& sub) {
       auto a = std::make_shared<PullArgs>();
       sub.add_option("repo", a->spec,
                      "REPO, REPO:FILE or REPO:QUANT (e.g. microsoft/bitnet-b1.58-2B-4T-gguf); a repo with no GGUF but a "
                      "safetensors checkpoint is downloaded and converted")
           ->required();
       sub.add_option("--hf-file", a->file, "the file in the repo (instead of REPO:FILE)");
       sub.footer(
           "Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (or $HF_HOME/token) for gated repos,\n"
           "HF_HUB_OFFLINE=1 (cache only), HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME (cache: ~/.cache/huggingface/hub,\n"
           "shared with huggingface-cli), TERN_CACHE_DIR (converted checkpoints: ~/.cache/tern), CURL_CA_BUNDLE /\n"
           "REQUESTS_CA_BUNDLE / SSL_CERT_FILE (a CA bundle to trust).\n");
       return [a] {
         std::printf("%s\n", tern::cli::pull_from_hub(a->spec, a->file).c_str());
         return 0;
       };
     },
     95});

}  // namespace
