// The converter and the runtime tokenizer read tokenizer.json through one reader
// (tokenizer/hf_tokenizer_json.h) and pick special tokens by one rule
// (tok::resolve_special_tokens): for the same files and the same config.json ids, the GGUF
// token table `tern convert` writes and the Vocab the runtime builds agree on every token,
// merge and special id. Also the runtime's behaviour since it shares the converter's reader:
// what it refuses and how added tokens are typed.
#include <gtest/gtest.h>

#include "hf/hf_config.h"
#include "hf/hf_tokenizer.h"
#include "hf/json_util.h"
#include "hf_test_util.h"
#include "tern/error.h"
#include "tern/tokenizer.h"

namespace tern::hf::test {
namespace {

using nlohmann::json;

int32_t id_or_none(std::optional<uint32_t> id) { return id ? static_cast<int32_t>(*id) : -1; }

void expect_same_tokenizer(const TokenTable& t, const tok::Vocab& v) {
  ASSERT_LE(v.tokens.size(), t.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    ASSERT_EQ(v.tokens[i], t.tokens[i]) << "id " << i;
    ASSERT_EQ(static_cast<int32_t>(v.types[i]), t.types[i]) << "id " << i;
  }
  EXPECT_EQ(v.merges, t.merges);
  EXPECT_EQ(v.bos, id_or_none(t.bos));
  EXPECT_EQ(v.eos, id_or_none(t.eos));
  EXPECT_EQ(v.eot, id_or_none(t.eot));
  EXPECT_EQ(v.pad, id_or_none(t.pad));
  EXPECT_EQ(v.unk, id_or_none(t.unk));
  EXPECT_EQ(v.add_bos, t.add_bos);
}

TEST(TokenizerOneReader, RuntimeVocabAndConvertedTableAgreeOnEveryGoldenModel) {
  for (const char* model : {"tiny-a", "tiny-a-bf16", "tiny-b", "bitnet158-latent-a", "llama158-a", "llama158-rope-a"}) {
    SCOPED_TRACE(model);
    const std::string dir = golden(model), file = dir + "/tokenizer.json";
    const TokenizerJson tj = parse_tokenizer_json(read_text_file(file), file);
    const TokenizerConfig tc = parse_tokenizer_config(read_text_file(dir + "/tokenizer_config.json"), "tokenizer_config.json");
    const ModelConfig c = load_model_config(dir);
    const ConfigTokenIds with_config{c.bos_token_id, c.eos_token_id, c.pad_token_id};
    for (const ConfigTokenIds& ids : {with_config, ConfigTokenIds{}}) {
      expect_same_tokenizer(build_token_table(tj, tc, c.vocab_size, ids, file), tok::vocab_from_tokenizer_json(tj, tc, ids, file));
    }
    expect_same_tokenizer(build_token_table(tj, {}, c.vocab_size, ConfigTokenIds{}, file),
                          tok::vocab_from_tokenizer_json(tj, {}, ConfigTokenIds{}, file));
    // What `tern convert` writes: config.json's eos wins over tokenizer_config.json's.
    const TokenTable t = load_token_table(dir, c.vocab_size, with_config);
    EXPECT_EQ(id_or_none(t.eos), c.eos_token_id.value_or(-1));
  }
}

// The rule, level by level, on the golden tiny-a tokenizer (its config.json says eos 985
// <|end_of_text|>, its tokenizer_config.json eos <|eot_id|> 993).
TEST(TokenizerOneReader, SpecialTokensConfigThenTokenizerConfigThenTokenizerJson) {
  const std::string dir = golden("tiny-a"), file = dir + "/tokenizer.json";
  const TokenizerJson tj = parse_tokenizer_json(read_text_file(file), file);
  const TokenizerConfig tc = parse_tokenizer_config(read_text_file(dir + "/tokenizer_config.json"), "tokenizer_config.json");
  const tok::Vocab cfg = tok::vocab_from_tokenizer_json(tj, tc, ConfigTokenIds{984, 985, std::nullopt}, file);
  EXPECT_EQ(cfg.eos, 985);
  const tok::Vocab tcfg = tok::vocab_from_tokenizer_json(tj, tc, ConfigTokenIds{}, file);
  EXPECT_EQ(tcfg.eos, 993);
  const tok::Vocab alone = tok::vocab_from_tokenizer_json(tj, {}, ConfigTokenIds{}, file);
  EXPECT_EQ(alone.bos, 984);  // the TemplateProcessing's <|begin_of_text|>
  EXPECT_TRUE(alone.add_bos);
  EXPECT_EQ(alone.eos, 985);  // <|end_of_text|> by name
  EXPECT_EQ(alone.eot, 993);
  // The runtime loader is a tokenizer on its own (AutoTokenizer reads no config.json).
  EXPECT_EQ(tok::vocab_from_hf_json(file, dir + "/tokenizer_config.json").eos, 993);
}

// A small byte-level tokenizer.json in the Llama 3 shape.
json llama3_shaped() {
  json j = json::parse(R"({
    "added_tokens": [{"id": 3, "content": "<|begin_of_text|>", "special": true}, {"id": 4, "content": "<tool>"}],
    "normalizer": null,
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": ""}, "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
    "post_processor": {"type": "TemplateProcessing",
       "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "ignore_merges": true, "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})");
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = tok::kLlama3Pattern;
  return j;
}

std::string refusal(const json& j) {
  try {
    (void)tok::vocab_from_hf_json_text(j.dump(), "", "t.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

// Since the runtime reads tokenizer.json with the converter's reader, it refuses what the
// converter refuses (before, it accepted any Split regex, a missing decoder or merges list,
// and lstrip/rstrip added tokens), and an added token without "special" is user-defined
// (tokenizers' default; before, the runtime took it as a control token).
TEST(TokenizerOneReader, RuntimeRefusesWhatTheConverterRefuses) {
  const tok::Vocab v = tok::vocab_from_hf_json_text(llama3_shaped().dump(), "", "t.json");
  EXPECT_EQ(v.tokens.size(), 5u);
  EXPECT_EQ(v.types[3], tok::TokenType::kControl);
  EXPECT_EQ(v.types[4], tok::TokenType::kUserDefined);
  EXPECT_EQ(v.bos, 3);
  EXPECT_TRUE(v.ignore_merges);
  EXPECT_EQ(v.pretokenizer_regex, tok::kLlama3Pattern);

  json other_regex = llama3_shaped();
  other_regex["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\p{N}";
  EXPECT_NE(refusal(other_regex).find("t.json: /pre_tokenizer/pretokenizers/0/pattern"), std::string::npos) << refusal(other_regex);
  json no_decoder = llama3_shaped();
  no_decoder.erase("decoder");
  EXPECT_NE(refusal(no_decoder).find("t.json: /decoder"), std::string::npos) << refusal(no_decoder);
  json no_merges = llama3_shaped();
  no_merges["model"].erase("merges");
  EXPECT_NE(refusal(no_merges).find("t.json: /model/merges: missing"), std::string::npos) << refusal(no_merges);
  json lstrip = llama3_shaped();
  lstrip["added_tokens"][1]["lstrip"] = true;
  EXPECT_NE(refusal(lstrip).find("t.json: /added_tokens/1/lstrip"), std::string::npos) << refusal(lstrip);
  json spm = llama3_shaped();
  spm["model"]["byte_fallback"] = true;
  spm["model"]["ignore_merges"] = false;
  spm["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}, {"split", false}};
  spm["decoder"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}, {"split", false}};
  EXPECT_NE(refusal(spm).find("tokenizer.model"), std::string::npos) << refusal(spm);
}

}  // namespace
}  // namespace tern::hf::test
