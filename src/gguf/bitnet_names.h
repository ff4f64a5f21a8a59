// The GGUF vocabulary for BitNet b1.58 files: architecture strings, metadata keys and
// tensor names. The writer (src/hf convert) and the loader (src/model) both use these, so
// they cannot drift. Names follow bitnet.cpp's official 2B4T GGUF (arch "bitnet-b1.58")
// and llama.cpp's "bitnet" arch, so each peer can read the files whose types it knows.
#pragma once

#include <string>

namespace tern::gguf::names {

// Architectures.
inline constexpr const char* kArchBitnetB158 = "bitnet-b1.58";  // bitnet.cpp, official 2B4T GGUF
inline constexpr const char* kArchBitnet25 = "bitnet-25";       // bitnet.cpp, 2B4T preview name
inline constexpr const char* kArchBitnet = "bitnet";            // llama.cpp (SiLU FFN unless hidden_activation says)
inline constexpr const char* kArchLlama = "llama";              // Llama-layout ternary models (no sub-norms)
// What each arch means for the graph: src/arch/family.cpp.

// Per-architecture hyper-parameter keys: key(arch, kContextLength) = "<arch>.context_length".
inline std::string key(const std::string& arch, const char* suffix) { return arch + "." + suffix; }
inline constexpr const char* kVocabSize = "vocab_size";
inline constexpr const char* kContextLength = "context_length";
inline constexpr const char* kEmbeddingLength = "embedding_length";
inline constexpr const char* kBlockCount = "block_count";
inline constexpr const char* kFeedForwardLength = "feed_forward_length";
inline constexpr const char* kHeadCount = "attention.head_count";
inline constexpr const char* kHeadCountKv = "attention.head_count_kv";
inline constexpr const char* kRmsEps = "attention.layer_norm_rms_epsilon";
inline constexpr const char* kRopeFreqBase = "rope.freq_base";
inline constexpr const char* kRopeDimCount = "rope.dimension_count";
inline constexpr const char* kKeyLength = "attention.key_length";
// FFN activation: "relu2" (BitNet b1.58 2B4T) or "silu". Newer llama.cpp reads it; tern
// writes it in every file it converts.
inline constexpr const char* kHiddenActivation = "hidden_activation";

// llama3 RoPE scaling, exactly as HF's rope_scaling holds it (tern-only keys: llama.cpp
// reads <arch>.rope.scaling.factor as LINEAR scaling, so that key must not be written).
// Peers get the same scaling as rope_freqs.weight (divisors of each inverse frequency).
inline constexpr const char* kTernRopeLlama3Factor = "tern.rope.llama3.factor";
inline constexpr const char* kTernRopeLlama3LowFreqFactor = "tern.rope.llama3.low_freq_factor";
inline constexpr const char* kTernRopeLlama3HighFreqFactor = "tern.rope.llama3.high_freq_factor";
inline constexpr const char* kTernRopeLlama3OriginalContext = "tern.rope.llama3.original_context_length";

// General keys.
inline constexpr const char* kGeneralArchitecture = "general.architecture";
inline constexpr const char* kGeneralName = "general.name";
inline constexpr const char* kGeneralFileType = "general.file_type";
inline constexpr const char* kGeneralAlignment = "general.alignment";
inline constexpr const char* kGeneralQuantVersion = "general.quantization_version";
// tern-specific provenance (ignored by the peers).
inline constexpr const char* kTernConvertedFrom = "tern.converted_from";
inline constexpr const char* kTernScaleDivides = "tern.scale_divides";  // see TERN_T2 trailer

// Tokenizer keys (llama.cpp conventions).
inline constexpr const char* kTokModel = "tokenizer.ggml.model";  // "gpt2" (byte-level BPE) or "llama" (SentencePiece)
inline constexpr const char* kTokPre = "tokenizer.ggml.pre";      // e.g. "llama-bpe"
inline constexpr const char* kTokTokens = "tokenizer.ggml.tokens";
inline constexpr const char* kTokScores = "tokenizer.ggml.scores";
inline constexpr const char* kTokTokenType = "tokenizer.ggml.token_type";
inline constexpr const char* kTokMerges = "tokenizer.ggml.merges";
inline constexpr const char* kTokBos = "tokenizer.ggml.bos_token_id";
inline constexpr const char* kTokEos = "tokenizer.ggml.eos_token_id";
inline constexpr const char* kTokEot = "tokenizer.ggml.eot_token_id";
inline constexpr const char* kTokPad = "tokenizer.ggml.padding_token_id";
inline constexpr const char* kTokUnk = "tokenizer.ggml.unknown_token_id";
inline constexpr const char* kTokAddBos = "tokenizer.ggml.add_bos_token";
inline constexpr const char* kTokAddEos = "tokenizer.ggml.add_eos_token";
inline constexpr const char* kTokAddSpacePrefix = "tokenizer.ggml.add_space_prefix";
inline constexpr const char* kChatTemplate = "tokenizer.chat_template";

// Tensor names.
inline constexpr const char* kTokenEmbd = "token_embd.weight";  // [hidden, vocab]; also the lm_head when tied
inline constexpr const char* kOutput = "output.weight";         // untied lm_head (optional)
inline constexpr const char* kOutputNorm = "output_norm.weight";
inline constexpr const char* kRopeFreqs = "rope_freqs.weight";  // F32 [head_dim/2], llama.cpp's llama3 scaling
inline std::string blk(int layer, const char* name) {
  return "blk." + std::to_string(layer) + "." + name;
}
inline constexpr const char* kAttnNorm = "attn_norm.weight";
inline constexpr const char* kAttnQ = "attn_q.weight";
inline constexpr const char* kAttnK = "attn_k.weight";
inline constexpr const char* kAttnV = "attn_v.weight";
inline constexpr const char* kAttnSubNorm = "attn_sub_norm.weight";
inline constexpr const char* kAttnOutput = "attn_output.weight";
inline constexpr const char* kFfnNorm = "ffn_norm.weight";
inline constexpr const char* kFfnGate = "ffn_gate.weight";
inline constexpr const char* kFfnUp = "ffn_up.weight";
inline constexpr const char* kFfnSubNorm = "ffn_sub_norm.weight";
inline constexpr const char* kFfnDown = "ffn_down.weight";
// llama.cpp "bitnet" files may carry per-tensor scales: blk.N.attn_q.scale etc. (F32 [1]),
// multiplied into the matmul output.

}  // namespace tern::gguf::names
