// llama.cpp habits on tern's command line, applied to argv before CLI11 parses it.
//
// CLI11 reads `-sys hello` as the cluster `-s -y -s` and `-ngl 0` as `-n gl 0`, so a
// llama.cpp user's flags either fail with a misleading message or silently mean something
// else. Here, before parsing, every argument that is not the value of the option before it is
// looked at once:
//   - llama.cpp's multi-letter single-dash spellings become tern's long flags
//     (-sys -> --system-prompt, -cnv -> --conversation, -no-cnv -> --no-conversation,
//     -hf/-hfr -> --hf-repo, -hff -> --hf-file);
//   - flags that mean nothing on a CPU engine (-ngl N, --n-gpu-layers N, -fa [on|off|auto],
//     --flash-attn [..]) are dropped with a one-line note on stderr;
//   - any other multi-letter single-dash word is refused, naming it and its two-dash form,
//     instead of being split into one-letter flags.
// The table is in flag_spellings.cpp; everything after `--` is left alone.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tern::cli {

// argv rewritten for `app` (whose subcommands are already defined, so the values of their
// options are recognised and never rewritten). Notes go to `notes`, one line each. Throws
// tern::Error naming the argument when it cannot be read.
std::vector<std::string> apply_flag_spellings(const CLI::App& app, int argc, const char* const* argv,
                                              std::vector<std::string>& notes);

}  // namespace tern::cli
