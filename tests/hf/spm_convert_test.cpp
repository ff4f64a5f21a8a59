// SentencePiece checkpoints (LLaMA-2 tokenizer, 1bitLLM bitnet_b1_58-*): an HF folder made in
// a temporary directory from ../shared/tokenizers/llama2/tokenizer.model is converted to
// GGUF tokenizer metadata, loaded back through tern's tokenizer, and must reproduce every
// golden case of sentencepiece 0.1.97 (cases.jsonl), with and without the dummy prefix.
// Then the 1bitLLM layout (added_tokens.json, vocab 32002), llama.cpp's added-token rules,
// a tokenizer.json beside the model, and the refusals.
#include <gtest/gtest.h>

#include "gguf/bitnet_names.h"
#include "hf/json_util.h"
#include "hf/spm_token_table.h"
#include "tokenizer_convert_util.h"

namespace tern::hf::test {
namespace {

namespace names = gguf::names;
constexpr const char* kSpace = "\xE2\x96\x81";

const std::vector<nlohmann::json>& cases() {
  static const auto c = read_jsonl(shared("tokenizers/llama2/cases.jsonl"));
  return c;
}

// An HF folder holding tokenizer.model (the shared one, or an edited copy).
std::string spm_folder(const TempDir& tmp, const std::string& name, const std::string& model_bytes) {
  const std::string dir = tmp.str(name);
  fs::create_directories(dir);
  write_text(dir + "/tokenizer.model", model_bytes);
  return dir;
}

std::string llama2_bytes() { return read_text_file(llama2_model_path()); }
// normalizer_spec (field 3) with add_dummy_prefix (field 3) = false appended.
std::string llama2_without_dummy_prefix() { return pb_append_to_field(llama2_bytes(), 3, pb_int(3, 0)); }

TEST(SpmConvert, Llama2TableIsWhatLlamaCppWrites) {
  TempDir tmp;
  const TokenTable t = load_token_table(spm_folder(tmp, "m", llama2_bytes()), 32000, ConfigTokenIds{});
  EXPECT_EQ(t.model, "llama");
  EXPECT_EQ(t.pre, "default");
  ASSERT_EQ(t.tokens.size(), 32000u);
  ASSERT_EQ(t.scores.size(), 32000u);
  EXPECT_TRUE(t.merges.empty());
  EXPECT_EQ(t.tokens[0], "<unk>");
  EXPECT_EQ(t.types[0], 2);
  EXPECT_EQ(t.types[1], 3);
  EXPECT_EQ(t.tokens[13], "<0x0A>");
  EXPECT_EQ(t.types[13], 6);
  EXPECT_EQ(t.tokens[15043], std::string(kSpace) + "Hello");
  EXPECT_EQ(t.types[15043], 1);
  EXPECT_EQ(t.bos, 1u);
  EXPECT_EQ(t.eos, 2u);
  EXPECT_EQ(t.unk, 0u);
  EXPECT_FALSE(t.pad);
  EXPECT_FALSE(t.eot);
  EXPECT_TRUE(t.add_bos);
  EXPECT_FALSE(t.add_eos);
  EXPECT_EQ(t.add_space_prefix, true);
  EXPECT_FALSE(t.chat_template);
}

class SpmGolden : public ::testing::TestWithParam<bool> {};

// Every encode case with the model's dummy-prefix setting, and every decode case, through
// the GGUF file the converter writes.
TEST_P(SpmGolden, ConvertedVocabEncodesLikeSentencepiece) {
  const bool dummy = GetParam();
  TempDir tmp;
  const std::string dir = spm_folder(tmp, "m", dummy ? llama2_bytes() : llama2_without_dummy_prefix());
  const TokenTable table = load_token_table(dir, 32000, ConfigTokenIds{});
  EXPECT_EQ(table.add_space_prefix, dummy);
  const tok::Tokenizer t(vocab_through_gguf(table, tmp.str("tok.gguf")));
  EXPECT_EQ(t.kind(), tok::ModelKind::kSentencePiece);
  EXPECT_EQ(t.vocab().add_space_prefix, dummy);
  size_t n = 0, failed = 0;
  for (const auto& c : cases()) {
    if (c["kind"] != "encode" || c["add_dummy_prefix"].get<bool>() != dummy) continue;
    ++n;
    const std::vector<int32_t> got = t.encode(c["text"].get<std::string>());
    if (got != c["ids"].get<std::vector<int32_t>>()) {
      ++failed;
      ADD_FAILURE() << c["text"].dump() << "\n  want " << c["ids"].dump() << "\n  got  " << nlohmann::json(got).dump();
    }
  }
  EXPECT_EQ(n, 204u);
  EXPECT_EQ(failed, 0u);
  if (!dummy) return;  // the decode cases are for the model as shipped
  size_t d = 0;
  for (const auto& c : cases()) {
    if (c["kind"] != "decode") continue;
    ++d;
    EXPECT_EQ(t.decode(c["ids"].get<std::vector<int32_t>>(), tok::Special::kSkip), c["text"].get<std::string>()) << c.dump();
  }
  EXPECT_EQ(d, 109u);
}

INSTANTIATE_TEST_SUITE_P(DummyPrefix, SpmGolden, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "as_shipped" : "no_dummy_prefix"; });

TEST(SpmConvert, GgufCarriesScoresAndKeys) {
  TempDir tmp;
  const TokenTable table = load_token_table(spm_folder(tmp, "m", llama2_bytes()), 32000, ConfigTokenIds{});
  vocab_through_gguf(table, tmp.str("tok.gguf"));
  const gguf::File g = gguf::File::open(tmp.str("tok.gguf"));
  EXPECT_EQ(g.get_string(names::kTokModel), "llama");
  EXPECT_EQ(g.get_string(names::kTokPre), "default");
  const gguf::Value* scores = g.find(names::kTokScores);
  ASSERT_NE(scores, nullptr);
  ASSERT_EQ(scores->items.size(), 32000u);
  EXPECT_EQ(static_cast<float>(scores->items[15043].f), table.scores[15043]);
  EXPECT_EQ(g.find(names::kTokMerges), nullptr);
  ASSERT_NE(g.find(names::kTokAddSpacePrefix), nullptr);
  EXPECT_EQ(g.find(names::kTokAddEos), nullptr);
}

// 1bitLLM/bitnet_b1_58-*: vocab_size 32002, added_tokens.json {"</line>": 32001, "<pad>":
// 32000}; config.json bos 1, eos 2, pad 32000.
TEST(SpmConvert, OneBitLlmLayout) {
  TempDir tmp;
  const std::string dir = spm_folder(tmp, "m", llama2_bytes());
  write_text(dir + "/added_tokens.json", R"({"</line>": 32001, "<pad>": 32000})");
  const TokenTable t = load_token_table(dir, 32002, ConfigTokenIds{1, 2, 32000});
  ASSERT_EQ(t.tokens.size(), 32002u);
  EXPECT_EQ(t.tokens[32000], "<pad>");
  EXPECT_EQ(t.tokens[32001], "</line>");
  EXPECT_EQ(t.types[32000], 4);  // llama.cpp: added_tokens.json entries are user-defined
  EXPECT_EQ(t.types[32001], 4);
  EXPECT_EQ(t.scores[32000], -1000.0f);
  EXPECT_EQ(t.pad, 32000u);
  EXPECT_EQ(t.bos, 1u);
  EXPECT_EQ(t.eos, 2u);
  // Through tern's tokenizer: user-defined tokens are matched as text only with parse_special.
  const tok::Tokenizer tk(vocab_through_gguf(t, tmp.str("tok.gguf")));
  EXPECT_EQ(tk.n_vocab(), 32002);
  std::vector<int32_t> want = tk.encode("a");
  want.push_back(32001);
  want.push_back(*tk.token_id("b"));  // no dummy prefix after a special token
  EXPECT_EQ(tk.encode("a</line>b", false, true), want);
  EXPECT_EQ(tk.encode("Hello world", true), (std::vector<int32_t>{1, 15043, 3186}));
}

// tokenizer_config.json's added_tokens_decoder (transformers >= 4.34 writes one): special or
// control-looking tokens become control tokens; others are user-defined with "▁" as " ".
TEST(SpmConvert, AddedTokensDecoderFollowsLlamaCpp) {
  TempDir tmp;
  const std::string dir = spm_folder(tmp, "m", llama2_bytes());
  write_text(dir + "/added_tokens.json", R"({"</line>": 32001, "<pad>": 32000})");
  write_text(dir + "/tokenizer_config.json", R"({
    "added_tokens_decoder": {
      "0": {"content": "<unk>", "special": true}, "1": {"content": "<s>", "special": true},
      "2": {"content": "</s>", "special": true}, "32000": {"content": "<pad>", "special": false},
      "32001": {"content": "</line>", "special": false}, "32002": {"content": "<|im_end|>", "special": false},
      "32003": {"content": "▁two▁words", "special": false}},
    "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
    "add_bos_token": true, "add_eos_token": false, "chat_template": "{{ bos_token }}"})");
  const TokenTable t = load_token_table(dir, 32004, ConfigTokenIds{});
  EXPECT_EQ(t.types[0], 3);      // special: control (it was unknown in tokenizer.model)
  EXPECT_EQ(t.types[32000], 3);  // "<pad>" looks special
  EXPECT_EQ(t.types[32001], 4);
  EXPECT_EQ(t.types[32002], 3);  // "<|...|>" looks special
  EXPECT_EQ(t.types[32003], 4);
  EXPECT_EQ(t.tokens[32003], " two words");
  EXPECT_EQ(t.pad, 32000u);
  EXPECT_EQ(t.unk, 0u);
  EXPECT_EQ(t.add_eos, false);
  EXPECT_EQ(t.chat_template, "{{ bos_token }}");
  EXPECT_TRUE(token_looks_special("<unused12>"));
  EXPECT_TRUE(token_looks_special("<\xEF\xBD\x9C" "fim\xEF\xBD\x9C>"));
  EXPECT_FALSE(token_looks_special("</line>"));
  EXPECT_FALSE(token_looks_special("<|x"));
}

TEST(SpmConvert, UnsetIdsArePads) {
  TempDir tmp;
  const TokenTable t = load_token_table(spm_folder(tmp, "m", llama2_bytes()), 32005, ConfigTokenIds{});
  EXPECT_EQ(t.tokens[32004], "[PAD32004]");
  EXPECT_EQ(t.types[32004], 5);
  EXPECT_EQ(t.scores[32004], -10000.0f);
}

// transformers' Llama converter output: Prepend/Replace normalizer (legacy) or Metaspace.
nlohmann::json llama2_tokenizer_json(bool metaspace) {
  nlohmann::json vocab = nlohmann::json::object();
  const SpmModel m = parse_sentencepiece_model(llama2_bytes(), "tokenizer.model");
  for (size_t i = 0; i < m.pieces.size(); ++i) vocab[m.pieces[i].piece] = i;
  nlohmann::json j = {
      {"version", "1.0"},
      {"added_tokens",
       {{{"id", 0}, {"content", "<unk>"}, {"special", true}, {"lstrip", false}, {"rstrip", false}},
        {{"id", 1}, {"content", "<s>"}, {"special", true}},
        {{"id", 2}, {"content", "</s>"}, {"special", true}}}},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"fuse_unk", true}, {"byte_fallback", true},
        {"vocab", vocab}, {"merges", {"\xE2\x96\x81 t", "e r"}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         {{{"type", "Replace"}, {"pattern", {{"String", kSpace}}}, {"content", " "}},
          {{"type", "ByteFallback"}},
          {{"type", "Fuse"}},
          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}}}}};
  if (metaspace) {
    j["normalizer"] = nullptr;
    j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kSpace}, {"prepend_scheme", "first"}, {"split", false}};
  } else {
    j["normalizer"] = {{"type", "Sequence"},
                       {"normalizers",
                        {{{"type", "Prepend"}, {"prepend", kSpace}},
                         {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpace}}}}};
    j["pre_tokenizer"] = nullptr;
  }
  return j;
}

TEST(SpmConvert, TokenizerJsonBesideTheModelIsChecked) {
  TempDir tmp;
  const TokenTable plain = load_token_table(spm_folder(tmp, "plain", llama2_bytes()), 32000, ConfigTokenIds{});
  for (bool metaspace : {false, true}) {
    SCOPED_TRACE(metaspace ? "metaspace" : "legacy normalizer");
    const std::string dir = spm_folder(tmp, metaspace ? "ms" : "legacy", llama2_bytes());
    write_text(dir + "/tokenizer.json", llama2_tokenizer_json(metaspace).dump());
    const TokenTable t = load_token_table(dir, 32000, ConfigTokenIds{});
    EXPECT_EQ(t.tokens, plain.tokens);
    EXPECT_EQ(t.scores, plain.scores);
    EXPECT_EQ(t.types, plain.types);
    EXPECT_TRUE(t.add_bos);  // the template's <s>
  }
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> edit;
    std::vector<std::string> parts;
  };
  const std::vector<Case> refused = {
      {"a piece renamed", [](auto& j) { j["model"]["vocab"].erase(std::string(kSpace) + "Hello"); j["model"]["vocab"]["Hullo"] = 15043; },
       {"tokenizer.json", "/model/vocab/Hullo", "15043"}},
      {"a piece missing", [](auto& j) { j["model"]["vocab"].erase("<0x00>"); }, {"/model/vocab", "31999 entries"}},
      {"no dummy prefix", [](auto& j) { j["normalizer"]["normalizers"].erase(0); j["decoder"]["decoders"][3]["start"] = 0; },
       {"/normalizer", "does not prepend", "add_dummy_prefix is true"}},
      {"no byte fallback", [](auto& j) { j["model"]["byte_fallback"] = false; }, {"/model/byte_fallback", "trainer_spec.byte_fallback"}},
      {"added token on another id", [](auto& j) { j["added_tokens"][1]["id"] = 5; }, {"/added_tokens/1", "'<s>'"}},
      {"added token past the vocab", [](auto& j) { j["added_tokens"].push_back({{"id", 40000}, {"content", "x"}}); },
       {"/added_tokens/3", "40000"}},
      {"NFKC normalizer", [](auto& j) { j["normalizer"]["normalizers"].push_back({{"type", "NFKC"}}); },
       {"/normalizer/normalizers/2", "'NFKC'"}},
      {"splitting Metaspace", [](auto& j) { j["normalizer"] = nullptr; j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", kSpace}}; },
       {"/pre_tokenizer", "split"}},
      {"unknown decoder step", [](auto& j) { j["decoder"]["decoders"].push_back({{"type", "CTC"}}); }, {"/decoder/decoders/4", "'CTC'"}},
      {"Strip of two", [](auto& j) { j["decoder"]["decoders"][3]["start"] = 2; }, {"/decoder/decoders/3", "Strip"}},
      {"lstrip added token", [](auto& j) { j["added_tokens"][0]["lstrip"] = true; }, {"/added_tokens/0/lstrip"}},
  };
  for (const Case& c : refused) {
    SCOPED_TRACE(c.name);
    const std::string dir = spm_folder(tmp, std::string("bad_") + std::to_string(&c - refused.data()), llama2_bytes());
    nlohmann::json j = llama2_tokenizer_json(false);
    c.edit(j);
    write_text(dir + "/tokenizer.json", j.dump());
    expect_refusal([&] { load_token_table(dir, 32000, ConfigTokenIds{}); }, c.parts);
  }
}

TEST(SpmConvert, Refusals) {
  TempDir tmp;
  // A SentencePiece-style tokenizer.json alone: its BPE merges do not carry the scores.
  const std::string json_only = tmp.str("json_only");
  fs::create_directories(json_only);
  write_text(json_only + "/tokenizer.json", llama2_tokenizer_json(false).dump());
  expect_refusal([&] { load_token_table(json_only, 32000, ConfigTokenIds{}); }, {"tokenizer.json", "SentencePiece", "tokenizer.model"});
  // More pieces than the embedding has rows.
  expect_refusal([&] { load_token_table(spm_folder(tmp, "small", llama2_bytes()), 31999, ConfigTokenIds{}); },
                 {"tokenizer.model", "32000 pieces", "vocab_size 31999"});
  // added_tokens.json: past the vocab, or renaming a piece.
  const std::string past = spm_folder(tmp, "past", llama2_bytes());
  write_text(past + "/added_tokens.json", R"({"<pad>": 32000})");
  expect_refusal([&] { load_token_table(past, 32000, ConfigTokenIds{}); }, {"added_tokens.json", "32000", "vocab_size"});
  const std::string rename = spm_folder(tmp, "rename", llama2_bytes());
  write_text(rename + "/added_tokens.json", R"({"<pad>": 5})");
  expect_refusal([&] { load_token_table(rename, 32000, ConfigTokenIds{}); }, {"added_tokens.json", "id 5", "<pad>"});
  // Special tokens that are not in the vocabulary.
  const std::string nobos = spm_folder(tmp, "nobos", llama2_bytes());
  write_text(nobos + "/tokenizer_config.json", R"({"bos_token": "<BOS>"})");
  expect_refusal([&] { load_token_table(nobos, 32000, ConfigTokenIds{}); }, {"tokenizer_config.json", "/bos_token", "<BOS>"});
  expect_refusal([&] { load_token_table(spm_folder(tmp, "cfg", llama2_bytes()), 32000, ConfigTokenIds{40000, {}, {}}); },
                 {"config.json", "/bos_token_id", "40000"});
  // A Unigram model (T5 / Gemma style).
  expect_refusal([&] { load_token_table(spm_folder(tmp, "uni", pb_append_to_field(llama2_bytes(), 2, pb_int(3, 1))), 32000, ConfigTokenIds{}); },
                 {"tokenizer.model", "trainer_spec.model_type", "UNIGRAM"});
  // Neither file.
  const std::string empty = tmp.str("empty");
  fs::create_directories(empty);
  expect_refusal([&] { load_token_table(empty, 32000, ConfigTokenIds{}); }, {"tokenizer.json", "missing", "tokenizer.model"});
}

}  // namespace
}  // namespace tern::hf::test
