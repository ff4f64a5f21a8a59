// Tokenizer throughput and load time (Llama 3 vocab): encode of the shared Gutenberg corpus
// in MB/s, decode, the GGUF load path (128256 tokens + 280147 merges) and the table build.
//   build-*/bench/bench_tokenizer [--benchmark_filter=Encode]
// TERN_BENCH_CORPUS_MB (default 16) limits how much of the 57 MB corpus is encoded.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "gguf/bitnet_names.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "tern/tokenizer.h"

namespace {

using namespace tern;

const tok::Vocab& llama3_vocab() {
  static const tok::Vocab v = tok::vocab_from_hf_json(TERN_SHARED_DIR "/tokenizers/llama3/tokenizer.json");
  return v;
}
const tok::Tokenizer& llama3() {
  static const tok::Tokenizer t(llama3_vocab());
  return t;
}

const std::string& corpus() {
  static const std::string text = [] {
    std::ifstream in(TERN_SHARED_DIR "/corpus/gutenberg_english.txt", std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    const char* env = std::getenv("TERN_BENCH_CORPUS_MB");
    size_t mb = env ? std::strtoul(env, nullptr, 10) : 16;
    if (mb > 0 && s.size() > (mb << 20)) s.resize(mb << 20);
    return s;
  }();
  return text;
}

// The corpus in ~64 KiB chunks cut at line ends, as a server would feed prompts.
void BM_EncodeCorpus(benchmark::State& state) {
  const auto& t = llama3();
  const std::string& text = corpus();
  size_t tokens = 0;
  for (auto _ : state) {
    tokens = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = std::min(text.size(), pos + (64 << 10));
      size_t nl = text.find('\n', end);
      end = nl == std::string::npos ? text.size() : nl + 1;
      tokens += t.encode(std::string_view(text).substr(pos, end - pos)).size();
      pos = end;
    }
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["bytes_per_token"] = static_cast<double>(text.size()) / static_cast<double>(tokens);
}
BENCHMARK(BM_EncodeCorpus)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_DecodeCorpus(benchmark::State& state) {
  const auto& t = llama3();
  std::string_view text = std::string_view(corpus()).substr(0, 4 << 20);
  std::vector<int32_t> ids = t.encode(text);
  for (auto _ : state) benchmark::DoNotOptimize(t.decode(ids));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_DecodeCorpus)->Unit(benchmark::kMillisecond);

void BM_BuildFromVocab(benchmark::State& state) {
  const tok::Vocab& v = llama3_vocab();
  for (auto _ : state) benchmark::DoNotOptimize(tok::Tokenizer(v));
}
BENCHMARK(BM_BuildFromVocab)->Unit(benchmark::kMillisecond);

// GGUF open (metadata parse) + vocab copy + table build: what `tern run -m` pays.
void BM_LoadFromGgufFile(benchmark::State& state) {
  namespace n = gguf::names;
  const tok::Vocab& v = llama3_vocab();
  std::string path = (std::filesystem::temp_directory_path() / ("tern_bench_tok_" + std::to_string(::getpid()) + ".gguf")).string();
  {
    gguf::Writer w(path);
    w.set_string(n::kTokModel, "gpt2");
    w.set_string(n::kTokPre, "llama-bpe");
    w.set_string_array(n::kTokTokens, v.tokens);
    std::vector<int32_t> types;
    for (auto t : v.types) types.push_back(static_cast<int32_t>(t));
    w.set_i32_array(n::kTokTokenType, types);
    w.set_string_array(n::kTokMerges, v.merges);
    w.set_u32(n::kTokBos, 128000);
    w.finish();
  }
  for (auto _ : state) {
    gguf::File f = gguf::File::open(path);
    benchmark::DoNotOptimize(tok::Tokenizer::from_gguf(f));
  }
  std::remove(path.c_str());
}
BENCHMARK(BM_LoadFromGgufFile)->Unit(benchmark::kMillisecond);

void BM_GgufOpenOnly(benchmark::State& state) {
  // Split of the load time: the GGUF parser alone (owned by src/gguf).
  namespace n = gguf::names;
  const tok::Vocab& v = llama3_vocab();
  std::string path = (std::filesystem::temp_directory_path() / ("tern_bench_tok2_" + std::to_string(::getpid()) + ".gguf")).string();
  {
    gguf::Writer w(path);
    w.set_string(n::kTokModel, "gpt2");
    w.set_string_array(n::kTokTokens, v.tokens);
    w.set_string_array(n::kTokMerges, v.merges);
    w.finish();
  }
  for (auto _ : state) benchmark::DoNotOptimize(gguf::File::open(path));
  std::remove(path.c_str());
}
BENCHMARK(BM_GgufOpenOnly)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
