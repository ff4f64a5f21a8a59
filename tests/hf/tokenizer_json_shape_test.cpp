// tokenizer.json components: the shapes tern converts (and the tokenizer.ggml.pre each gets),
// and a refusal naming the file and the JSON path for every component tern's tokenizer does
// not reproduce: model type and options, normalizers, pre-tokenizers, decoders,
// post-processors, added-token flags.
#include <gtest/gtest.h>

#include "hf/hf_tokenizer.h"
#include "tokenizer_convert_util.h"

namespace tern::hf::test {
namespace {

using nlohmann::json;
constexpr const char* kSpace = "\xE2\x96\x81";

// A complete Llama-3-shaped byte-level tokenizer.json (tiny vocab).
json byte_level_doc() {
  return json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [{"id": 3, "content": "<|begin_of_text|>", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": ""}, "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
    "post_processor": {"type": "Sequence", "processors": [
      {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
      {"type": "TemplateProcessing",
       "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
       "pair": [], "special_tokens": {}}]},
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
              "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
              "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})");
}
json llama3_doc() {
  json j = byte_level_doc();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = tok::kLlama3Pattern;
  return j;
}

TokenizerJsonShape shape_of(const json& j) { return parse_tokenizer_json(j.dump(), "tokenizer.json").shape; }

TEST(TokenizerJsonShape, ByteLevelShapesAndTheirPreNames) {
  const TokenizerJsonShape llama3 = shape_of(llama3_doc());
  EXPECT_EQ(llama3.kind, TokenizerJsonKind::ByteLevelBpe);
  EXPECT_EQ(llama3.pre, "llama-bpe");
  EXPECT_EQ(llama3.template_bos, "<|begin_of_text|>");
  EXPECT_FALSE(llama3.template_eos);

  json merges_only = llama3_doc();
  merges_only["model"]["ignore_merges"] = false;
  EXPECT_EQ(shape_of(merges_only).pre, "smaug-bpe");
  merges_only["model"].erase("ignore_merges");  // absent = false (tokenizers' default)
  EXPECT_EQ(shape_of(merges_only).pre, "smaug-bpe");

  json gpt2 = llama3_doc();
  gpt2["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}};
  gpt2["model"]["ignore_merges"] = false;
  gpt2["post_processor"] = nullptr;
  const TokenizerJsonShape g = shape_of(gpt2);
  EXPECT_EQ(g.pre, "gpt-2");
  EXPECT_FALSE(g.has_template);

  json eos = llama3_doc();
  eos["post_processor"]["processors"][1]["single"].push_back({{"SpecialToken", {{"id", "<|end|>"}, {"type_id", 0}}}});
  EXPECT_EQ(shape_of(eos).template_eos, "<|end|>");
}

TEST(TokenizerJsonShape, SentencePieceShapes) {
  json legacy = llama3_doc();
  legacy["model"]["ignore_merges"] = false;
  legacy["model"]["byte_fallback"] = true;
  legacy["pre_tokenizer"] = nullptr;
  legacy["normalizer"] = {{"type", "Sequence"},
                          {"normalizers",
                           {{{"type", "Prepend"}, {"prepend", kSpace}},
                            {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpace}}}}};
  legacy["decoder"] = {{"type", "Sequence"},
                       {"decoders",
                        {{{"type", "Replace"}, {"pattern", {{"String", kSpace}}}, {"content", " "}},
                         {{"type", "ByteFallback"}},
                         {{"type", "Fuse"}},
                         {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  TokenizerJsonShape s = shape_of(legacy);
  EXPECT_EQ(s.kind, TokenizerJsonKind::SentencePieceBpe);
  EXPECT_TRUE(s.add_space_prefix);
  EXPECT_TRUE(s.byte_fallback);

  json ms = legacy;
  ms["normalizer"] = nullptr;
  ms["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kSpace}, {"prepend_scheme", "never"}, {"split", false}};
  ms["decoder"] = {{"type", "Metaspace"}, {"replacement", kSpace}, {"prepend_scheme", "never"}, {"split", false}};
  s = shape_of(ms);
  EXPECT_EQ(s.kind, TokenizerJsonKind::SentencePieceBpe);
  EXPECT_FALSE(s.add_space_prefix);
}

struct Refusal {
  const char* name;
  std::function<void(json&)> edit;
  std::vector<std::string> parts;  // besides the file name
};

TEST(TokenizerJsonShape, EveryUnimplementedComponentIsRefusedByPath) {
  const std::vector<Refusal> cases = {
      {"Unigram model", [](json& j) { j["model"]["type"] = "Unigram"; }, {"/model/type", "Unigram"}},
      {"WordPiece model", [](json& j) { j["model"]["type"] = "WordPiece"; }, {"/model/type", "WordPiece"}},
      {"BPE dropout", [](json& j) { j["model"]["dropout"] = 0.1; }, {"/model/dropout", "dropout"}},
      {"subword prefix", [](json& j) { j["model"]["continuing_subword_prefix"] = "##"; }, {"/model/continuing_subword_prefix"}},
      {"word suffix", [](json& j) { j["model"]["end_of_word_suffix"] = "</w>"; }, {"/model/end_of_word_suffix"}},
      {"byte fallback in byte-level", [](json& j) { j["model"]["byte_fallback"] = true; }, {"/model/byte_fallback"}},
      {"NFC normalizer", [](json& j) { j["normalizer"] = {{"type", "NFC"}}; }, {"/normalizer", "'NFC'"}},
      {"normalizer in a sequence",
       [](json& j) { j["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "Lowercase"}}}}}; },
       {"/normalizer/normalizers/0", "'Lowercase'"}},
      {"no pre-tokenizer", [](json& j) { j["pre_tokenizer"] = nullptr; }, {"/pre_tokenizer", "no pre-tokenizer"}},
      {"Punctuation (Falcon-7B style)",
       [](json& j) { j["pre_tokenizer"]["pretokenizers"][0] = {{"type", "Punctuation"}, {"behavior", "Contiguous"}}; },
       {"/pre_tokenizer/pretokenizers/0", "'Punctuation'"}},
      {"Digits after ByteLevel",
       [](json& j) { j["pre_tokenizer"]["pretokenizers"].push_back({{"type", "Digits"}, {"individual_digits", true}}); },
       {"/pre_tokenizer/pretokenizers/2", "'Digits'"}},
      {"another Split regex", [](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\p{N}"; },
       {"/pre_tokenizer/pretokenizers/0/pattern", "\\p{N}"}},
      {"Split on a string", [](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"String", " "}}; },
       {"/pre_tokenizer/pretokenizers/0/pattern"}},
      {"Split behavior", [](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed"; },
       {"/pre_tokenizer/pretokenizers/0/behavior", "Removed"}},
      {"Split invert", [](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["invert"] = true; }, {"/pre_tokenizer/pretokenizers/0/invert"}},
      {"ByteLevel prefix space", [](json& j) { j["pre_tokenizer"]["pretokenizers"][1]["add_prefix_space"] = true; },
       {"/pre_tokenizer/pretokenizers/1/add_prefix_space"}},
      {"ByteLevel prefix space by default", [](json& j) { j["pre_tokenizer"]["pretokenizers"][1].erase("add_prefix_space"); },
       {"/pre_tokenizer/pretokenizers/1", "add_prefix_space"}},
      {"ByteLevel regex after Split", [](json& j) { j["pre_tokenizer"]["pretokenizers"][1]["use_regex"] = true; },
       {"/pre_tokenizer/pretokenizers/1/use_regex"}},
      {"ByteLevel alone without regex",
       [](json& j) { j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}; },
       {"/pre_tokenizer/use_regex"}},
      {"Whitespace pre-tokenizer", [](json& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; }, {"/pre_tokenizer", "'Whitespace'"}},
      {"no decoder", [](json& j) { j["decoder"] = nullptr; }, {"/decoder", "no decoder"}},
      {"WordPiece decoder", [](json& j) { j["decoder"] = {{"type", "WordPiece"}}; }, {"/decoder", "'WordPiece'"}},
      {"Roberta post-processor", [](json& j) { j["post_processor"] = {{"type", "RobertaProcessing"}}; },
       {"/post_processor", "'RobertaProcessing'"}},
      {"Bert post-processor in a sequence", [](json& j) { j["post_processor"]["processors"][0] = {{"type", "BertProcessing"}}; },
       {"/post_processor/processors/0", "'BertProcessing'"}},
      {"two specials before $A",
       [](json& j) {
         auto& single = j["post_processor"]["processors"][1]["single"];
         single.insert(single.begin(), json::parse(R"({"SpecialToken": {"id": "<|x|>", "type_id": 0}})"));
       },
       {"/post_processor/processors/1/single/1", "two special tokens"}},
      {"template of $B", [](json& j) { j["post_processor"]["processors"][1]["single"][1]["Sequence"]["id"] = "B"; },
       {"/post_processor/processors/1/single/1"}},
      {"added token lstrip", [](json& j) { j["added_tokens"][0]["lstrip"] = true; }, {"/added_tokens/0/lstrip"}},
      {"added token rstrip", [](json& j) { j["added_tokens"][0]["rstrip"] = true; }, {"/added_tokens/0/rstrip"}},
      {"added token single_word", [](json& j) { j["added_tokens"][0]["single_word"] = true; }, {"/added_tokens/0/single_word"}},
  };
  for (const Refusal& c : cases) {
    SCOPED_TRACE(c.name);
    json j = llama3_doc();
    c.edit(j);
    std::vector<std::string> parts = c.parts;
    parts.push_back("tokenizer.json");
    expect_refusal([&] { parse_tokenizer_json(j.dump(), "tokenizer.json"); }, parts);
  }
}

// Through load_token_table, as `tern convert` reads a folder: the refusal names the path.
TEST(TokenizerJsonShape, ConversionStopsAtTheComponent) {
  TempDir tmp;
  json j = llama3_doc();
  j["normalizer"] = {{"type", "NFKC"}};
  write_text(tmp.str("tokenizer.json"), j.dump());
  expect_refusal([&] { load_token_table(tmp.str(), 4, ConfigTokenIds{}); },
                 {tmp.str("tokenizer.json"), "/normalizer", "'NFKC'", "not implemented"});
}

}  // namespace
}  // namespace tern::hf::test
