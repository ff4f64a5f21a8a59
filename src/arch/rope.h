// RoPE inverse frequencies, the one definition the forward pass (via its cos/sin tables) and
// the converter (llama.cpp's rope_freqs.weight) share.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tern/model.h"

namespace tern::arch {

// inv_freq[j] = 1 / theta^(2j/d), j < d/2, then HF's llama3 rescaling when `llama3` is set
// (_compute_llama3_parameters, evaluated in float32 with PyTorch's operation order).
std::vector<float> rope_inv_freq(int64_t head_dim, double theta, const std::optional<Llama3RopeScaling>& llama3);

// llama.cpp's rope_freqs.weight for llama3 scaling: per j the divisor of inv_freq[j]
// (1 for high frequencies, factor for low ones, smoothed between), as its converter writes it.
std::vector<float> llama3_rope_divisors(int64_t head_dim, double theta, const Llama3RopeScaling& llama3);

// Checks a llama3 scaling's values; returns an empty string or what is wrong.
std::string llama3_rope_problem(const Llama3RopeScaling& s);

}  // namespace tern::arch
