// config.json / generation_config.json / tokenizer*.json readers: the golden files, the
// accepted variants (merge pairs, named chat templates, object-form special tokens), and
// errors that name the file and the JSON path.
#include <gtest/gtest.h>

#include <functional>

#include "hf/hf_config.h"
#include "hf/hf_tokenizer.h"
#include "hf/json_util.h"
#include "hf_test_util.h"
#include "tern/error.h"

namespace tern::hf::test {
namespace {

std::string golden_text(const std::string& model, const std::string& file) {
  return read_text_file(golden(model) + "/" + file);
}

void expect_error(const std::function<void()>& f, std::vector<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

TEST(HfConfig, GoldenConfigs) {
  const ModelConfig a = parse_model_config(golden_text("tiny-a", "config.json"), "config.json");
  EXPECT_EQ(a.architecture, "BitNetForCausalLM");
  EXPECT_EQ(a.vocab_size, 1000);
  EXPECT_EQ(a.hidden_size, 256);
  EXPECT_EQ(a.intermediate_size, 768);
  EXPECT_EQ(a.num_hidden_layers, 2);
  EXPECT_EQ(a.num_attention_heads, 4);
  EXPECT_EQ(a.num_key_value_heads, 1);
  EXPECT_EQ(a.head_dim, 64);
  EXPECT_EQ(a.max_position_embeddings, 4096);
  EXPECT_EQ(a.rms_norm_eps, 1e-5);
  EXPECT_EQ(a.rope_theta, 500000.0);
  EXPECT_EQ(a.hidden_act, "relu2");
  EXPECT_TRUE(a.tie_word_embeddings);
  EXPECT_EQ(a.bos_token_id, 984);
  EXPECT_EQ(a.eos_token_id, 985);
  ASSERT_TRUE(a.quantization);
  EXPECT_EQ(a.declared_layout(), WeightLayout::Packed);
  const ModelConfig m = parse_model_config(golden_text("tiny-a-bf16", "config.json"), "config.json");
  EXPECT_EQ(m.declared_layout(), WeightLayout::Master);
  const ModelConfig b = parse_model_config(golden_text("tiny-b", "config.json"), "config.json");
  EXPECT_EQ(b.num_key_value_heads, 2);
  EXPECT_EQ(b.head_dim, 64);
  const GenerationConfig g = parse_generation_config(golden_text("tiny-a", "generation_config.json"), "g.json");
  EXPECT_EQ(g.eos_token_ids, (std::vector<int64_t>{985, 993}));
}

TEST(HfConfig, ExplicitHeadDimAndDefaults) {
  auto j = nlohmann::json::parse(golden_text("tiny-a", "config.json"));
  j.erase("num_key_value_heads");
  j.erase("quantization_config");
  const ModelConfig c = parse_model_config(j.dump(), "c.json");
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_FALSE(c.declared_layout());
  // 2B4T's attention sub-norm has hidden_size weights: heads x head_dim must equal it.
  j["head_dim"] = 32;
  EXPECT_THROW(parse_model_config(j.dump(), "c.json"), Error);
  // The Llama layout has no sub-norm, so any head_dim works (Falcon3: 256 with hidden 3072/12 heads).
  auto l = nlohmann::json::parse(golden_text("llama158-a", "config.json"));
  l["head_dim"] = 32;
  const ModelConfig f = parse_model_config(l.dump(), "l.json");
  EXPECT_EQ(f.head_dim, 32);
}

TEST(HfConfig, ErrorsNameFileAndPath) {
  auto base = nlohmann::json::parse(golden_text("tiny-a", "config.json"));
  struct C {
    std::function<void(nlohmann::json&)> edit;
    std::vector<std::string> parts;
  };
  const std::vector<C> cases = {
      {[](auto& j) { j.erase("vocab_size"); }, {"cfg.json", "/vocab_size", "missing"}},
      {[](auto& j) { j["vocab_size"] = -3; }, {"cfg.json", "/vocab_size", "out of range"}},
      {[](auto& j) { j["num_hidden_layers"] = 2.5; }, {"/num_hidden_layers", "expected an integer"}},
      {[](auto& j) { j["num_key_value_heads"] = 3; }, {"/num_key_value_heads", "does not divide"}},
      {[](auto& j) { j["architectures"] = "BitNetForCausalLM"; }, {"/architectures", "expected an array"}},
      {[](auto& j) { j["architectures"] = nlohmann::json::array(); }, {"/architectures", "empty"}},
      {[](auto& j) { j["architectures"] = {"MistralForCausalLM"}; }, {"/architectures/0", "unsupported architecture"}},
      {[](auto& j) { j["hidden_act"] = "gelu"; }, {"/hidden_act", "gelu"}},
      {[](auto& j) { j["tie_word_embeddings"] = 1; }, {"/tie_word_embeddings", "expected a boolean"}},
      {[](auto& j) { j["rope_scaling"] = {{"type", "linear"}}; }, {"/rope_scaling", "unsupported RoPE scaling type 'linear'"}},
      {[](auto& j) { j["eos_token_id"] = nlohmann::json::array(); }, {"/eos_token_id", "empty"}},
      {[](auto& j) { j["quantization_config"]["quant_method"] = "gptq"; }, {"/quantization_config/quant_method", "gptq"}},
      {[](auto& j) { j["quantization_config"]["linear_class"] = "autobitlinear"; }, {"/quantization_config/linear_class", "multiplies"}},
      {[](auto& j) { j["quantization_config"] = 5; }, {"/quantization_config", "expected an object"}},
      {[](auto& j) { j = nlohmann::json::array(); }, {"cfg.json", "expected an object"}},
  };
  for (const C& c : cases) {
    auto j = base;
    c.edit(j);
    expect_error([&] { parse_model_config(j.dump(), "cfg.json"); }, c.parts);
  }
  expect_error([] { parse_model_config("{", "cfg.json"); }, {"cfg.json", "invalid JSON"});
  expect_error([] { parse_generation_config(R"({"eos_token_id": "x"})", "gen.json"); }, {"gen.json", "/eos_token_id"});
}

TEST(HfTokenizer, GoldenTokenizerTable) {
  const TokenizerJson tj = parse_tokenizer_json(golden_text("tiny-a", "tokenizer.json"), "tokenizer.json");
  EXPECT_EQ(tj.vocab.size(), 984u);
  EXPECT_EQ(tj.merges.size(), 728u);
  EXPECT_EQ(tj.merges[0], "\xC4\xA0 \xC4\xA0");  // "Ġ Ġ"
  EXPECT_EQ(tj.added_tokens.size(), 16u);
  EXPECT_TRUE(tj.byte_level);
  EXPECT_NE(tj.split_regex.find("\\p{L}"), std::string::npos);
  EXPECT_EQ(tj.pre_tokenizer_summary, "Sequence[Split, ByteLevel]");
  EXPECT_EQ(tj.post_processor_first_special, "<|begin_of_text|>");
  const TokenizerConfig tc = parse_tokenizer_config(golden_text("tiny-a", "tokenizer_config.json"), "tokenizer_config.json");
  EXPECT_EQ(tc.bos_token, "<|begin_of_text|>");
  EXPECT_EQ(tc.eos_token, "<|eot_id|>");
  ASSERT_TRUE(tc.chat_template);
  EXPECT_EQ(tc.chat_template->substr(0, 40), "{% set loop_messages = messages %}{% for");
  EXPECT_EQ(tc.added_tokens_decoder.size(), 16u);
  const TokenTable t = build_token_table(tj, tc, 1000, 984, 985, "tokenizer.json");
  EXPECT_EQ(t.tokens.size(), 1000u);
  EXPECT_EQ(t.tokens[0], "!");
  EXPECT_EQ(t.tokens[220], "\xC4\xA0");
  EXPECT_EQ(t.tokens[993], "<|eot_id|>");
  EXPECT_EQ(t.types[0], 1);
  EXPECT_EQ(t.types[984], 3);
  EXPECT_EQ(t.types[999], 3);
  EXPECT_EQ(t.bos, 984u);
  EXPECT_EQ(t.eos, 985u);
  EXPECT_EQ(t.eot, 993u);
  EXPECT_FALSE(t.pad);
  EXPECT_TRUE(t.add_bos);  // from the post-processor template
  // Without config.json ids, tokenizer_config's strings decide.
  const TokenTable t2 = build_token_table(tj, tc, 1000, std::nullopt, std::nullopt, "tokenizer.json");
  EXPECT_EQ(t2.eos, 993u);
  // A larger embedding than the tokenizer: the rest are unused pads.
  const TokenTable t3 = build_token_table(tj, tc, 1024, 984, 985, "tokenizer.json");
  EXPECT_EQ(t3.tokens[1023], "[PAD1023]");
  EXPECT_EQ(t3.types[1023], 5);
}

TEST(HfTokenizer, VariantsAccepted) {
  const std::string tok = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3},
      "merges": ["a b", ["Ġ", "a"]]}, "added_tokens": [{"id": 4, "content": "<s>", "special": true},
      {"id": 5, "content": "<tool>", "special": false}],
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}, "decoder": {"type": "ByteLevel"}})";
  const TokenizerJson tj = parse_tokenizer_json(tok, "t.json");
  EXPECT_EQ(tj.merges, (std::vector<std::string>{"a b", "Ġ a"}));
  const TokenizerConfig tc = parse_tokenizer_config(
      R"({"bos_token": {"content": "<s>", "lstrip": false}, "pad_token": "b", "add_bos_token": false,
          "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})",
      "tc.json");
  EXPECT_EQ(tc.chat_template, "D");
  const TokenTable t = build_token_table(tj, tc, 6, std::nullopt, std::nullopt, "t.json");
  EXPECT_EQ(t.bos, 4u);
  EXPECT_EQ(t.pad, 1u);
  EXPECT_FALSE(t.add_bos);
  EXPECT_EQ(t.types[5], 4);  // user-defined
  EXPECT_FALSE(t.eot);
}

TEST(HfTokenizer, ErrorsNameFileAndPath) {
  expect_error([] { parse_tokenizer_json(R"({"model": {"type": "BPE", "vocab": {"a": "0"}, "merges": []}})", "t.json"); },
               {"t.json", "/model/vocab/a", "expected an integer"});
  expect_error([] { parse_tokenizer_json(R"({"model": {"type": "BPE", "vocab": {}, "merges": ["ab"]}})", "t.json"); },
               {"t.json", "/model/merges/0"});
  expect_error([] { parse_tokenizer_json(R"({"model": {"type": "BPE", "vocab": {}, "merges": [["a", 1]]}})", "t.json"); },
               {"t.json", "/model/merges/0/1", "expected a string"});
  expect_error([] { parse_tokenizer_json(R"({"model": {"type": "WordPiece", "vocab": {}}})", "t.json"); },
               {"t.json", "/model/type", "WordPiece"});
  expect_error([] { parse_tokenizer_json(R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "added_tokens": [{"id": 1}]})", "t.json"); },
               {"t.json", "/added_tokens/0/content", "missing"});
  expect_error([] { parse_tokenizer_config(R"({"bos_token": 3})", "tc.json"); }, {"tc.json", "/bos_token"});
  expect_error([] { parse_tokenizer_config(R"({"added_tokens_decoder": {"x": {"content": "a"}}})", "tc.json"); },
               {"tc.json", "/added_tokens_decoder/x", "not a token id"});
  // Table-level problems.
  const std::string byte_level = R"(, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}, "decoder": {"type": "ByteLevel"}})";
  const TokenizerJson tj = parse_tokenizer_json(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []})" + byte_level, "t.json");
  expect_error([&] { build_token_table(tj, {}, 4, std::nullopt, std::nullopt, "t.json"); }, {"t.json", "id 0 is both"});
  // A SentencePiece-style tokenizer.json converts only from the tokenizer.model beside it.
  const TokenizerJson sp = parse_tokenizer_json(
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "byte_fallback": true},
          "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": false},
          "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": false}})",
      "t.json");
  expect_error([&] { build_token_table(sp, {}, 4, std::nullopt, std::nullopt, "t.json"); }, {"t.json", "tokenizer.model"});
  const TokenizerJson ok = parse_tokenizer_json(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []})" + byte_level, "t.json");
  TokenizerConfig tc;
  tc.bos_token = "<nope>";
  expect_error([&] { build_token_table(ok, tc, 4, std::nullopt, std::nullopt, "t.json"); }, {"<nope>", "t.json"});
  expect_error([&] { build_token_table(ok, {}, 4, 9, std::nullopt, "t.json"); }, {"config.json", "/bos_token_id", "9"});
}

}  // namespace
}  // namespace tern::hf::test

namespace tern::hf::test {
namespace {

// The three other families' golden configs (../shared/golden/FAMILIES.md).
TEST(HfConfigFamilies, GoldenConfigsOfEveryFamily) {
  const ModelConfig one = parse_model_config(golden_text("bitnet158-latent-a", "config.json"), "config.json");
  ASSERT_NE(one.family, nullptr);
  EXPECT_STREQ(one.family->id, "bitnet-1bitllm");
  EXPECT_EQ(one.declared_layout(), WeightLayout::Master);  // latent F32, no quantization_config
  EXPECT_EQ(one.rope_theta, 10000.0);
  EXPECT_EQ(one.hidden_act, "silu");
  EXPECT_TRUE(one.tie_word_embeddings);

  // quantization_config written twice (as the real Llama3-8B-1.58 config.json): the last wins.
  const ModelConfig l = parse_model_config(golden_text("llama158-a", "config.json"), "config.json");
  EXPECT_STREQ(l.family->id, "llama-bitnet");
  ASSERT_TRUE(l.quantization);
  EXPECT_TRUE(l.quantization->modules_to_not_convert.empty());
  EXPECT_EQ(l.declared_layout(), WeightLayout::Packed);
  EXPECT_FALSE(l.tie_word_embeddings);
  EXPECT_FALSE(l.rope_scaling);
  EXPECT_EQ(l.rope_theta, 500000.0);

  const ModelConfig r = parse_model_config(golden_text("llama158-rope-a", "config.json"), "config.json");
  ASSERT_TRUE(r.rope_scaling);
  EXPECT_EQ(r.rope_scaling->factor, 32.0);
  EXPECT_EQ(r.rope_scaling->low_freq_factor, 1.0);
  EXPECT_EQ(r.rope_scaling->high_freq_factor, 4.0);
  EXPECT_EQ(r.rope_scaling->original_context, 8192);
  EXPECT_EQ(r.head_dim, 64);
  EXPECT_EQ(r.quantization->modules_to_not_convert, (std::vector<std::string>{"model.embed_tokens", "lm_head", "model.norm"}));
  EXPECT_TRUE(r.tie_word_embeddings);
}

// Falcon3-1B-Instruct-1.58bit's config shape: explicit head_dim, eps 1e-6, an integer theta,
// no bos_token_id, ["lm_head"] not converted, extra keys (activation, parallel_attn).
TEST(HfConfigFamilies, Falcon3ShapedConfig) {
  nlohmann::json j = nlohmann::json::parse(golden_text("llama158-a", "config.json"));
  j["head_dim"] = 256;
  j["hidden_size"] = 2048;
  j["num_attention_heads"] = 8;
  j["num_key_value_heads"] = 4;
  j["rms_norm_eps"] = 1e-6;
  j["rope_theta"] = 1000042;
  j.erase("bos_token_id");
  j["eos_token_id"] = 11;
  j["activation"] = "swiglu";
  j["parallel_attn"] = false;
  j["quantization_config"] = {{"modules_to_not_convert", {"lm_head"}}, {"quant_method", "bitnet"}};
  const ModelConfig c = parse_model_config(j.dump(), "falcon.json");
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.rope_theta, 1000042.0);
  EXPECT_FALSE(c.bos_token_id);
}

TEST(HfConfigFamilies, WhatTernCannotRunIsRefusedNamingTheField) {
  struct Case {
    const char* golden;
    std::function<void(nlohmann::json&)> edit;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"llama158-a", [](auto& j) { j["attention_bias"] = true; }, {"/attention_bias", "must be false"}},
      {"llama158-a", [](auto& j) { j["mlp_bias"] = true; }, {"/mlp_bias"}},
      {"llama158-a", [](auto& j) { j["rope_interleaved"] = true; }, {"/rope_interleaved"}},
      {"llama158-a", [](auto& j) { j["pretraining_tp"] = 2; }, {"/pretraining_tp", "not supported"}},
      {"llama158-a", [](auto& j) { j.erase("quantization_config"); }, {"/architectures", "not a ternary model"}},
      {"llama158-a", [](auto& j) { j["quantization_config"]["quant_method"] = "gptq"; }, {"/quantization_config/quant_method", "gptq"}},
      {"llama158-a", [](auto& j) { j["quantization_config"]["use_rms_norm"] = true; }, {"/quantization_config/use_rms_norm"}},
      {"llama158-a", [](auto& j) { j["quantization_config"]["modules_to_not_convert"] = {"lm_head", "mlp"}; },
       {"/quantization_config/modules_to_not_convert/1", "'mlp' keeps model.layers.0.mlp.gate_proj"}},
      {"llama158-a", [](auto& j) { j["quantization_config"]["modules_to_not_convert"] = {"model.layers.1.self_attn.o_proj"}; },
       {"/quantization_config/modules_to_not_convert/0", "model.layers.1.self_attn.o_proj"}},
      {"llama158-a", [](auto& j) { j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}}; },
       {"/rope_scaling", "unsupported RoPE scaling type 'yarn'"}},
      {"llama158-rope-a", [](auto& j) { j["rope_scaling"].erase("low_freq_factor"); }, {"/rope_scaling/low_freq_factor", "missing"}},
      {"llama158-rope-a", [](auto& j) { j["rope_scaling"]["high_freq_factor"] = 0.5; }, {"/rope_scaling", "high_freq_factor"}},
      {"llama158-a", [](auto& j) { j["hidden_act"] = "gelu"; }, {"/hidden_act", "gelu"}},
      {"bitnet158-latent-a", [](auto& j) { j["quantization_config"] = {{"quant_method", "bitnet"}}; },
       {"/quantization_config", "carry no quantization_config"}},
      {"bitnet158-latent-a", [](auto& j) { j["weight_bits"] = 2; }, {"/weight_bits"}},
      {"bitnet158-latent-a", [](auto& j) { j["input_bits"] = 4; }, {"/input_bits"}},
      {"bitnet158-latent-a", [](auto& j) { j["head_dim"] = 32; }, {"/num_attention_heads", "sub-norm"}},
  };
  for (const Case& c : cases) {
    nlohmann::json j = nlohmann::json::parse(golden_text(c.golden, "config.json"));
    c.edit(j);
    SCOPED_TRACE(std::string(c.golden) + ": " + j.dump().substr(0, 60));
    try {
      parse_model_config(j.dump(), "cfg.json");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("cfg.json"), std::string::npos) << msg;
      for (const std::string& w : c.want) EXPECT_NE(msg.find(w), std::string::npos) << "'" << w << "' not in: " << msg;
    }
  }
}

}  // namespace
}  // namespace tern::hf::test
