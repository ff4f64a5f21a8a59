"""BitNet b1.58 (2B4T architecture) in PyTorch for quantization-aware training.

The forward pass is the one in ../shared/golden/reference.py (transformers'
BitNetForCausalLM), written with float32 master weights and straight-through estimators:

  weights:     s_w = bf16(1 / mean|W|)  (per tensor),  T = clamp(round(W * s_w), -1, 1),
               W_q = T / s_w            -> the export stores T packed and s_w as weight_scale
  activations: s_x = 127 / max|x| (per token), x_q = clamp(round(x * s_x), -128, 127) / s_x

s_w is rounded to bfloat16 in training already because the packed checkpoint stores it as
bf16: the trained network is then exactly the exported one (up to float32 summation order).
rmsnorm everywhere (eps 1e-5), sub-norms before o_proj and down_proj, ReLU^2 gated MLP,
rotate_half RoPE (theta 500000), grouped-query attention, tied full-precision lm_head.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab: int = 4096
    hidden: int = 384
    layers: int = 6
    heads: int = 6
    kv_heads: int = 2
    ffn: int = 1024
    ctx: int = 256
    rope_theta: float = 500000.0
    eps: float = 1e-5

    @property
    def head_dim(self):
        return self.hidden // self.heads

    def to_dict(self):
        return asdict(self)


def weight_scale(w):
    """HF WeightQuant's s_w = 1/mean|W| (float32, clamped), rounded to bfloat16 as stored."""
    s = 1.0 / w.detach().abs().mean().clamp(min=1e-5)
    return s.to(torch.bfloat16).float()


def ternarize(w):
    """(T, s_w): T in {-1,0,1} as float32."""
    s = weight_scale(w)
    return (w.detach() * s).round().clamp(-1, 1), s


def int8_codes(x):
    """(codes, s_x): per-token absmax int8 codes as float32, s_x = 127 / max|x| (no gradient)."""
    x = x.detach()
    s = 127.0 / x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
    return (x * s).round().clamp(-128, 127), s


def act_quant(x):
    """Per-token absmax int8 fake quantization with a straight-through gradient."""
    q, s = int8_codes(x)
    return x + (q / s - x).detach()


class TernaryLinearBF16(torch.autograd.Function):
    """Training BitLinear with bfloat16 matrix products (mixed precision).

    The forward multiplies the int8 codes by the ternary codes: both are small integers,
    exact in bfloat16, and oneDNN sums the products in float32 -- but torch 1.13 returns
    the product as bfloat16, so each output is rounded to 8 significant bits (relative
    error <= 2^-9) before the scales are applied. The backward rounds the incoming gradient
    to bfloat16. Gradients are the straight-through ones of the float32 path:
    dx = dy W_q, dW = dy^T x_q. Evaluation and export use the exact float32 path, so the
    exported model is the trained weights evaluated exactly; training saw this rounding as
    noise. Matrix products run ~2.2x faster on a CPU with AVX512_BF16."""

    @staticmethod
    def forward(ctx, x, weight):
        t, s = ternarize(weight)
        codes, sx = int8_codes(x)
        codes = codes.to(torch.bfloat16)
        tb = t.to(torch.bfloat16)
        y = F.linear(codes, tb).float() / (sx * s)
        ctx.save_for_backward(codes, sx, tb, s)
        return y

    @staticmethod
    def backward(ctx, dy):
        codes, sx, tb, s = ctx.saved_tensors
        dx = (dy.to(torch.bfloat16) @ tb).float() / s
        dyx = (dy / sx).reshape(-1, dy.shape[-1]).to(torch.bfloat16)
        dw = (dyx.t() @ codes.reshape(-1, codes.shape[-1])).float()
        return dx, dw


class BitLinear(nn.Linear):
    bf16_matmul = False      # set by the trainer (--bf16): TernaryLinearBF16 in training

    def __init__(self, n_in, n_out):
        super().__init__(n_in, n_out, bias=False)

    def forward(self, x):
        if self.training and BitLinear.bf16_matmul:
            return TernaryLinearBF16.apply(x, self.weight)
        t, s = ternarize(self.weight)
        if not self.training:
            # inference: the reference's exact integer form y / (s_x * s_w)
            q, sx = int8_codes(x)
            return F.linear(q, t) / (sx * s)
        w = self.weight + (t / s - self.weight).detach()
        return F.linear(act_quant(x), w)


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope_tables(cfg, n):
    d = cfg.head_dim
    inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    freqs = torch.arange(n).float()[:, None] * inv[None, :]
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def apply_rope(x, cos, sin):
    h = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., h:], x[..., :h]], dim=-1) * sin


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        H, hd = cfg.hidden, cfg.head_dim
        self.cfg = cfg
        self.input_layernorm = RMSNorm(H, cfg.eps)
        self.q_proj = BitLinear(H, cfg.heads * hd)
        self.k_proj = BitLinear(H, cfg.kv_heads * hd)
        self.v_proj = BitLinear(H, cfg.kv_heads * hd)
        self.attn_sub_norm = RMSNorm(cfg.heads * hd, cfg.eps)
        self.o_proj = BitLinear(cfg.heads * hd, H)
        self.post_attention_layernorm = RMSNorm(H, cfg.eps)
        self.gate_proj = BitLinear(H, cfg.ffn)
        self.up_proj = BitLinear(H, cfg.ffn)
        self.ffn_sub_norm = RMSNorm(cfg.ffn, cfg.eps)
        self.down_proj = BitLinear(cfg.ffn, H)

    def forward(self, h, cos, sin, mask):
        c = self.cfg
        B, n, _ = h.shape
        x = self.input_layernorm(h)
        q = self.q_proj(x).view(B, n, c.heads, c.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, n, c.kv_heads, c.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, n, c.kv_heads, c.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = c.heads // c.kv_heads            # query head h uses kv head h // rep
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        scores = (q @ k.transpose(-1, -2)) * (c.head_dim ** -0.5) + mask
        a = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, n, c.heads * c.head_dim)
        h = h + self.o_proj(self.attn_sub_norm(a))
        x = self.post_attention_layernorm(h)
        m = torch.relu(self.gate_proj(x)).pow(2) * self.up_proj(x)
        return h + self.down_proj(self.ffn_sub_norm(m))


class BitNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab, cfg.hidden)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.norm = RMSNorm(cfg.hidden, cfg.eps)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        self._tables = {}

    def _rope_mask(self, n):
        if n not in self._tables:
            cos, sin = rope_tables(self.cfg, n)
            mask = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
            self._tables[n] = (cos, sin, mask)
        return self._tables[n]

    def forward(self, ids):
        """ids: [B, n] long -> logits [B, n, vocab] (float32)."""
        cos, sin, mask = self._rope_mask(ids.shape[1])
        h = self.embed_tokens(ids)
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
        return self.norm(h) @ self.embed_tokens.weight.t()   # tied, not quantized

    def param_count(self):
        return sum(p.numel() for p in self.parameters())

    @torch.no_grad()
    def round_to_bf16(self):
        """Rounds the embedding and the norm weights to bfloat16 in place (the export
        stores them as bf16; BitLinear weights are exported as T and bf16 s_w, exact)."""
        for name, p in self.named_parameters():
            if not name.endswith("proj.weight"):
                p.copy_(p.to(torch.bfloat16).float())


def lr_at(step, total, peak, warmup, floor=0.1):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))
