// bench/compare_peers.sh against fake engines generated here: a fake `tern` and fake
// llama-bench peers that print canned JSON (the shape of `llama-bench -o json`) and log
// how they were called. Checks the medians, the ratios, the alternation of runs, the
// per-peer model, and the errors for bad input.
#include <gtest/gtest.h>

#include <string>

#include "cli/bench_cli_util.h"

using tern::testing::CommandResult;
using tern::testing::run_command;
using tern::testing::ScratchDir;
using tern::testing::shell_quote;
using tern::testing::slurp;
using tern::testing::write_text;

namespace {

const std::string kScript = std::string(TERN_SOURCE_DIR) + "/bench/compare_peers.sh";

// A fake engine: logs "<name> -m MODEL -t T -p P -n N" and prints one llama-bench-style
// result whose samples_ts are `pp_samples` or `tg_samples` (JSON arrays).
void write_fake_engine(const std::string& path, const std::string& name, const std::string& log,
                       const std::string& pp_samples, const std::string& tg_samples) {
  write_text(path,
             "#!/usr/bin/env bash\n"
             "[[ ${1:-} == bench ]] && shift\n"
             "while [[ $# -gt 0 ]]; do case $1 in -m) m=$2; shift 2;; -t) t=$2; shift 2;;\n"
             "  -p) p=$2; shift 2;; -n) n=$2; shift 2;; -r) r=$2; shift 2;; *) shift;; esac; done\n"
             "echo \"" + name + " -m $m -t $t -p $p -n $n -r $r\" >> " + shell_quote(log) + "\n"
             "if (( p > 0 )); then s='" + pp_samples + "'; else s='" + tg_samples + "'; fi\n"
             "echo \"[{\\\"build_commit\\\": \\\"" + name + "-commit\\\", \\\"n_threads\\\": $t, "
             "\\\"n_prompt\\\": $p, \\\"n_gen\\\": $n, \\\"avg_ts\\\": 999, \\\"samples_ts\\\": $s}]\"\n",
             /*executable=*/true);
}

struct Fakes {
  ScratchDir dir;
  std::string log = dir / "calls.log";
  std::string model = dir / "model.gguf";
  std::string peer_model = dir / "peer-model.gguf";
  std::string tern = dir / "tern";
  std::string peer1 = dir / "llama-bench-a";
  std::string peer2 = dir / "llama-bench-b";
  Fakes() {
    write_text(model, "not read by the fakes");
    write_text(peer_model, "not read by the fakes");
    // medians: tern pp 30, tg 12; peer1 pp 15, tg 8; peer2 pp 60, tg 24.
    write_fake_engine(tern, "tern", log, "[10, 30, 50]", "[12, 11, 13]");
    write_fake_engine(peer1, "peer1", log, "[15, 14, 16]", "[8, 8, 9]");
    write_fake_engine(peer2, "peer2", log, "[60, 61, 59]", "[24, 20, 30]");
  }
};

}  // namespace

TEST(BenchComparePeers, TableOfMediansAndRatios) {
  Fakes f;
  CommandResult r = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --tern " +
                                shell_quote(f.tern) + " --llama-bench " + shell_quote(f.peer1) + " --llama-bench " +
                                shell_quote(f.peer2) + " --peer-model " + shell_quote(f.peer_model) +
                                " -t 1,2 -p 64 -n 16 -r 3");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Header, then pp rows before tg rows, thread counts ascending.
  EXPECT_NE(r.out.find("| test | threads | tern t/s | peer1 t/s | peer2 t/s | tern/peer1 | tern/peer2 |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| pp64 | 1 | 30.00 ± 20.00 | 15.00 ± 1.00 | 60.00 ± 1.00 | 2.00x | 0.50x |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| tg16 | 2 | 12.00 ± 1.00 | 8.00 ± 0.58 | 24.00 ± 5.03 | 1.50x | 0.50x |"),
            std::string::npos)
      << r.out;
  EXPECT_LT(r.out.find("| pp64 | 2 |"), r.out.find("| tg16 | 1 |"));
  EXPECT_NE(r.out.find("peer1: " + f.peer1 + " (build peer1-commit"), std::string::npos) << r.out;

  // Alternation: for each thread count and test, tern then every peer; peer2 got its own file.
  const std::string m = f.model, pm = f.peer_model;
  const std::string expected =
      "tern -m " + m + " -t 1 -p 64 -n 0 -r 3\n" + "peer1 -m " + m + " -t 1 -p 64 -n 0 -r 3\n" +
      "peer2 -m " + pm + " -t 1 -p 64 -n 0 -r 3\n" + "tern -m " + m + " -t 1 -p 0 -n 16 -r 3\n" +
      "peer1 -m " + m + " -t 1 -p 0 -n 16 -r 3\n" + "peer2 -m " + pm + " -t 1 -p 0 -n 16 -r 3\n" +
      "tern -m " + m + " -t 2 -p 64 -n 0 -r 3\n" + "peer1 -m " + m + " -t 2 -p 64 -n 0 -r 3\n" +
      "peer2 -m " + pm + " -t 2 -p 64 -n 0 -r 3\n" + "tern -m " + m + " -t 2 -p 0 -n 16 -r 3\n" +
      "peer1 -m " + m + " -t 2 -p 0 -n 16 -r 3\n" + "peer2 -m " + pm + " -t 2 -p 0 -n 16 -r 3\n";
  EXPECT_EQ(slurp(f.log), expected);
}

TEST(BenchComparePeers, FallsBackToAvgTsWithoutSamples) {
  Fakes f;
  write_text(f.peer1,
             "#!/bin/sh\necho '[{\"n_prompt\": 0, \"n_gen\": 16, \"avg_ts\": 6.0, \"stddev_ts\": 0.5}]'\n", true);
  CommandResult r = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --tern " +
                                shell_quote(f.tern) + " --llama-bench " + shell_quote(f.peer1) + " -t 1 -p 0 -n 16 -r 3");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("| tg16 | 1 | 12.00 ± 1.00 | 6.00 ± 0.50 | 2.00x |"), std::string::npos) << r.out;
}

TEST(BenchComparePeers, RejectsBadPeerOutputAndBadArguments) {
  Fakes f;
  write_text(f.peer1, "#!/bin/sh\necho 'llama-bench: error: unknown model type'\n", true);
  CommandResult garbage = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --tern " +
                                      shell_quote(f.tern) + " --llama-bench " + shell_quote(f.peer1) +
                                      " -t 1 -p 8 -n 0 -r 1");
  EXPECT_NE(garbage.exit_code, 0);
  EXPECT_NE(garbage.err.find("not llama-bench JSON"), std::string::npos) << garbage.err;

  write_text(f.peer1, "#!/bin/sh\nexit 3\n", true);
  CommandResult failing = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --tern " +
                                      shell_quote(f.tern) + " --llama-bench " + shell_quote(f.peer1) +
                                      " -t 1 -p 8 -n 0 -r 1");
  EXPECT_NE(failing.exit_code, 0);
  EXPECT_NE(failing.err.find("failed (t=1, pp)"), std::string::npos) << failing.err;

  CommandResult no_peer = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --tern " +
                                      shell_quote(f.tern));
  EXPECT_EQ(no_peer.exit_code, 2);
  EXPECT_NE(no_peer.err.find("give at least one --llama-bench PATH"), std::string::npos) << no_peer.err;

  CommandResult missing = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --tern " +
                                      shell_quote(f.tern) + " --llama-bench " + shell_quote(f.dir / "nope"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("not found or not executable"), std::string::npos) << missing.err;

  CommandResult orphan = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) +
                                     " --peer-model " + shell_quote(f.peer_model));
  EXPECT_EQ(orphan.exit_code, 2);
  EXPECT_NE(orphan.err.find("--peer-model must follow"), std::string::npos) << orphan.err;
}

// Peers built from a source snapshot report build_commit "unknown": --peer-label names the
// column (and the header line) after the commit instead of peerN; labels must be distinct.
TEST(BenchComparePeers, PeerLabelsNameTheColumns) {
  Fakes f;
  CommandResult r = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --tern " +
                                shell_quote(f.tern) + " --llama-bench " + shell_quote(f.peer1) +
                                " --peer-label bitnet.cpp-765741d --llama-bench " + shell_quote(f.peer2) +
                                " -t 1 -p 64 -n 0 -r 3");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("| test | threads | tern t/s | bitnet.cpp-765741d t/s | peer2 t/s | tern/bitnet.cpp-765741d | "
                       "tern/peer2 |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| pp64 | 1 | 30.00 ± 20.00 | 15.00 ± 1.00 | 60.00 ± 1.00 | 2.00x | 0.50x |"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("bitnet.cpp-765741d: " + f.peer1 + " (build peer1-commit"), std::string::npos) << r.out;

  CommandResult twice = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --tern " +
                                    shell_quote(f.tern) + " --llama-bench " + shell_quote(f.peer1) +
                                    " --peer-label same --llama-bench " + shell_quote(f.peer2) + " --peer-label same");
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("--peer-label 'same' is given to two peers"), std::string::npos) << twice.err;

  CommandResult orphan = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --peer-label x");
  EXPECT_EQ(orphan.exit_code, 2);
  EXPECT_NE(orphan.err.find("--peer-label must follow"), std::string::npos) << orphan.err;

  CommandResult bad = run_command(shell_quote(kScript) + " --model " + shell_quote(f.model) + " --llama-bench " +
                                  shell_quote(f.peer1) + " --peer-label 'a b'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--peer-label wants letters"), std::string::npos) << bad.err;
}
