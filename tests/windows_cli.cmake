# The real tern.exe under the emulator (Wine), for the Windows build: the Linux CLI tests
# run `tern` through popen with POSIX shell syntax, which a Windows test program cannot do,
# so here each test is one tern command whose output CTest matches. (CTest starts a target's
# executable through CMAKE_CROSSCOMPILING_EMULATOR by itself.) The golden-model, tokenizer
# and template suites above check the numbers and ids bit for bit; these check the commands.
set(TERN_DEMO_MODEL ${PROJECT_SOURCE_DIR}/models/tern-demo-6m.gguf)
function(tern_cli_test name regex)
  add_test(NAME WinCli.${name} COMMAND tern ${ARGN})
  set_tests_properties(WinCli.${name} PROPERTIES PASS_REGULAR_EXPRESSION "${regex}" TIMEOUT 300 LABELS cli)
endfunction()
tern_cli_test(Help "Usage: .*tern" --help)
tern_cli_test(InfoDemo "family" info ${TERN_DEMO_MODEL})
tern_cli_test(InfoKernels "ternary" info --kernels)
tern_cli_test(TokenizeDemo "[0-9]+ [0-9]+" tokenize -m ${TERN_DEMO_MODEL} -p "Once upon a time" --ids-only)
tern_cli_test(RunDemoGreedy "Once upon a time[^\n]+" run -m ${TERN_DEMO_MODEL} -p "Once upon a time" -n 16 --temp 0)
# RAPL is Linux-only: bench must say which counter is missing, not print a number.
tern_cli_test(BenchEnergyUnavailable "energy: unavailable \\(no RAPL energy counter on Windows"
              bench -m ${TERN_DEMO_MODEL} -p 16 -n 8 -r 1 -t 2 --no-bandwidth)
tern_cli_test(MissingModelNamed "no-such-model.gguf: cannot open" run -m no-such-model.gguf -p hi)
