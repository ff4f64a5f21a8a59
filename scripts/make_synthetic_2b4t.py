#!/usr/bin/env python3
"""Writes a synthetic Hugging Face checkpoint of the exact BitNet b1.58 2B4T shape in the
PACKED layout (uint8 weights by row blocks + bf16 weight_scale), with random trits, a bf16
embedding, norms near 1 and a Llama-3-sized dummy byte-level BPE tokenizer, for measuring
`tern convert` (time, peak RSS). Pure Python stdlib; ~1.2 GB; write it outside the repo:

    python3 scripts/make_synthetic_2b4t.py /tmp/synth-2b4t [--layers 30]

Not a model: the numbers are random. The shapes, dtypes, names, config and tokenizer
structure are those of microsoft/bitnet-b1.58-2B-4T.
"""
import argparse
import json
import os
import struct

HIDDEN, FFN, HEADS, KV_HEADS, VOCAB, HEAD_DIM = 2560, 6912, 20, 5, 128256, 128


def valid_packed_table():
    # Map any byte to one whose four 2-bit codes are in {0, 1, 2} (code 3 -> 1, i.e. trit 0).
    table = bytearray(256)
    for b in range(256):
        v = 0
        for i in range(4):
            c = (b >> (2 * i)) & 3
            v |= (1 if c == 3 else c) << (2 * i)
        table[b] = v
    return bytes(table)


def bf16_hi_table():
    # High byte of a bf16: sign + exponent kept in [2^-8, 2^0): |x| in ~[0.004, 1).
    return bytes(((b & 0x80) | (0x3B + (b & 0x3) )) for b in range(256))


def bf16_bytes(value):
    return struct.pack("<f", value)[2:4]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=30)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    L = args.layers

    # Tensor list in sorted-name order (as HF writes): (name, dtype, shape, producer).
    packed = valid_packed_table()
    hi = bf16_hi_table()

    def rand_packed(n):
        return os.urandom(n).translate(packed)

    def rand_bf16(n):
        buf = bytearray(os.urandom(2 * n))
        buf[1::2] = bytes(buf[1::2]).translate(hi)
        return bytes(buf)

    def norm(n):
        return bf16_bytes(1.0) * n

    tensors = [("model.embed_tokens.weight", "BF16", [VOCAB, HIDDEN], lambda: rand_bf16(VOCAB * HIDDEN))]
    linears = {
        "self_attn.q_proj": (HEADS * HEAD_DIM, HIDDEN), "self_attn.k_proj": (KV_HEADS * HEAD_DIM, HIDDEN),
        "self_attn.v_proj": (KV_HEADS * HEAD_DIM, HIDDEN), "self_attn.o_proj": (HIDDEN, HEADS * HEAD_DIM),
        "mlp.gate_proj": (FFN, HIDDEN), "mlp.up_proj": (FFN, HIDDEN), "mlp.down_proj": (HIDDEN, FFN),
    }
    for l in range(L):
        p = f"model.layers.{l}."
        tensors.append((p + "input_layernorm.weight", "BF16", [HIDDEN], lambda: norm(HIDDEN)))
        tensors.append((p + "post_attention_layernorm.weight", "BF16", [HIDDEN], lambda: norm(HIDDEN)))
        tensors.append((p + "self_attn.attn_sub_norm.weight", "BF16", [HIDDEN], lambda: norm(HIDDEN)))
        tensors.append((p + "mlp.ffn_sub_norm.weight", "BF16", [FFN], lambda: norm(FFN)))
        for name, (out, inp) in linears.items():
            tensors.append((p + name + ".weight", "U8", [out // 4, inp], lambda n=out // 4 * inp: rand_packed(n)))
            tensors.append((p + name + ".weight_scale", "BF16", [1], lambda: bf16_bytes(1.5)))
    tensors.append(("model.norm.weight", "BF16", [HIDDEN], lambda: norm(HIDDEN)))
    tensors.sort(key=lambda t: t[0])

    sizes = {"BF16": 2, "U8": 1}
    header = {"__metadata__": {"format": "pt"}}
    off = 0
    for name, dt, shape, _ in tensors:
        n = sizes[dt]
        for d in shape:
            n *= d
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + n]}
        off += n
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * (-len(hj) % 8)
    with open(os.path.join(args.out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for _, _, _, make in tensors:
            f.write(make())

    config = {
        "architectures": ["BitNetForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "relu2", "hidden_size": HIDDEN,
        "initializer_range": 0.02, "intermediate_size": FFN, "max_position_embeddings": 4096,
        "model_type": "bitnet", "num_attention_heads": HEADS, "num_hidden_layers": L,
        "num_key_value_heads": KV_HEADS, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
        "tie_word_embeddings": True, "torch_dtype": "bfloat16", "use_cache": True, "vocab_size": VOCAB,
        "quantization_config": {"quant_method": "bitnet", "linear_class": "bitlinear", "quantization_mode": "offline"},
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    # GPT-2 byte alphabet for ids 0..255, filler tokens, then 256 Llama 3 specials.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_tokens = [chr(c) for c in cs]
    vocab = {t: i for i, t in enumerate(byte_tokens)}
    for i in range(256, 128000):
        vocab[f"tok{i}"] = i
    specials = ["<|begin_of_text|>", "<|end_of_text|>"] + [f"<|reserved_special_token_{i}|>" for i in range(4)] + \
        ["<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_4|>", "<|eot_id|>"] + \
        [f"<|reserved_special_token_{i}|>" for i in range(5, 251)]
    added = [{"id": 128000 + i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, s in enumerate(specials)]
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}}]},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "ignore_merges": True, "vocab": vocab,
                  "merges": ["Ġ Ġ", "Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "Ġt he"]},
    }
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
                   "chat_template": "{% for message in messages %}{{ message['role'] | capitalize }}: {{ message['content'] | trim }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}Assistant: {% endif %}",
                   "model_max_length": 4096, "tokenizer_class": "PreTrainedTokenizerFast"}, f)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 128000, "eos_token_id": [128001, 128009], "do_sample": False}, f)
    print(f"{args.out}: {L} layers, {off + len(hj) + 8} bytes of model.safetensors")


if __name__ == "__main__":
    main()
