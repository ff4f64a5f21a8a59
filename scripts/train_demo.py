#!/usr/bin/python3
"""Trains tern's demo model: a small BitNet b1.58 (2B4T architecture, scaled down) on the
public-domain Gutenberg corpus, quantization-aware, and exports it in the Hugging Face
packed layout of microsoft/bitnet-b1.58-2B-4T (then `tern convert` makes the GGUF).

Needs Debian's python3-torch, python3-numpy, python3-regex (TERN_TRAIN_DEPS=1
scripts/install-deps.sh); libopenblas0-openmp makes torch's CPU matmuls ~25x faster than
the reference BLAS. Run with /usr/bin/python3 (Debian's torch).

  train_demo.py prepare  --work /work/demo-data          # split, BPE tokenizer, token ids
  train_demo.py train    --work /work/demo-data --minutes 55 --threads 1
  train_demo.py export   --work /work/demo-data --out /work/demo-hf
  train_demo.py sample   --work /work/demo-data --prompt "It was"

Every step writes into --work; `train` checkpoints every few minutes (ckpt.pt) and
resumes from it, and logs to train_log.tsv.
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import bpe  # noqa: E402
import data  # noqa: E402
from model import BitLinear, BitNet, Config, lr_at, ternarize  # noqa: E402

CORPUS = "/work/shared/corpus/gutenberg_english.txt"
VOCAB = 4096
N_SPECIAL = 16


def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


# ------------------------------------------------------------------------------ prepare

def cmd_prepare(a):
    os.makedirs(a.work, exist_ok=True)
    with open(a.corpus, encoding="utf-8") as f:
        text = f.read()
    train, held = data.split_corpus(text)
    log(f"corpus {len(text)} chars: train {len(train)}, held out {len(held)}")
    with open(os.path.join(a.work, "heldout.txt"), "w", encoding="utf-8") as f:
        f.write(held)

    # BPE on every 3rd 1 MB slice of the training text (enough for 4k tokens, 3x faster)
    sample = [train[i:i + 1_000_000] for i in range(0, len(train), 3_000_000)]
    merges = bpe.train(sample, VOCAB - 256 - N_SPECIAL, log=log)
    tok = bpe.Tokenizer(merges, N_SPECIAL)
    assert tok.size == VOCAB
    tok.save(os.path.join(a.work, "tokenizer.json"))
    log(f"tokenizer: {tok.size} tokens")

    ids = data.encode_chunks(tok, train)
    ids.tofile(os.path.join(a.work, "train.u16"))
    hid = data.encode_chunks(tok, held)
    hid.tofile(os.path.join(a.work, "heldout.u16"))
    log(f"train {len(ids)} tokens ({len(train) / len(ids):.2f} chars/token), "
        f"held out {len(hid)} tokens")

    paras = data.paragraphs(train)
    convs = data.chat_samples(paras, a.chat_samples)
    flat, offs = [], [0]
    for c in convs:
        flat.extend(tok.encode(c))
        offs.append(len(flat))
    np.array(flat, dtype=np.uint16).tofile(os.path.join(a.work, "chat.u16"))
    np.array(offs, dtype=np.int64).tofile(os.path.join(a.work, "chat_offsets.i64"))
    with open(os.path.join(a.work, "chat_examples.txt"), "w", encoding="utf-8") as f:
        f.write("\n\n".join(convs[:20]))
    log(f"chat: {len(convs)} conversations from {len(paras)} paragraphs, {len(flat)} tokens")



# ------------------------------------------------------------------------------ train

def model_config(a):
    return Config(vocab=VOCAB, hidden=a.hidden, layers=a.layers, heads=a.heads,
                  kv_heads=a.kv_heads, ffn=a.ffn, ctx=a.ctx)


class Batches:
    """Random training windows. Plain windows are [BOS] + a random slice of the book
    stream; a fraction `chat_frac` of the rows are packed chat conversations instead."""

    def __init__(self, work, ctx, bos, chat_frac, seed):
        self.stream = np.fromfile(os.path.join(work, "train.u16"), dtype=np.uint16)
        self.chat = np.fromfile(os.path.join(work, "chat.u16"), dtype=np.uint16)
        self.offs = np.fromfile(os.path.join(work, "chat_offsets.i64"), dtype=np.int64)
        self.ctx, self.bos, self.chat_frac = ctx, bos, chat_frac
        self.rng = np.random.default_rng(seed)

    def row(self):
        n = self.ctx + 1
        if self.rng.random() < self.chat_frac:
            parts, have = [], 0
            while have < n:
                k = int(self.rng.integers(len(self.offs) - 1))
                parts.append(self.chat[self.offs[k]:self.offs[k + 1]])
                have += len(parts[-1])
            return np.concatenate(parts)[:n]
        o = int(self.rng.integers(len(self.stream) - n))
        return np.concatenate([[self.bos], self.stream[o:o + n - 1]])

    def next(self, batch):
        rows = torch.from_numpy(np.stack([self.row() for _ in range(batch)]).astype(np.int64))
        return rows[:, :-1], rows[:, 1:]


def heldout_windows(work, ctx, bos, count=None):
    """Non-overlapping windows of ctx-1 held-out tokens, each preceded by BOS."""
    ids = np.fromfile(os.path.join(work, "heldout.u16"), dtype=np.uint16).astype(np.int64)
    n = (len(ids) - 1) // (ctx - 1)
    if count is not None:
        n = min(n, count)
    rows = []
    for k in range(n):
        seg = ids[k * (ctx - 1):(k + 1) * (ctx - 1) + 1]
        rows.append(np.concatenate([[bos], seg]))
    rows = torch.from_numpy(np.stack(rows))
    return rows[:, :-1], rows[:, 1:]


@torch.no_grad()
def evaluate(model, x, y, batch=16, second_half=False):
    """Mean cross-entropy (nats/token) over the windows; second_half scores only the
    second half of each window (llama-perplexity's convention)."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(x), batch):
        logits = model(x[i:i + batch])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[i:i + batch].reshape(-1),
                               reduction="none").view(logits.shape[0], -1)
        if second_half:
            loss = loss[:, (loss.shape[1] + 1) // 2:]   # targets at positions n/2+1 .. n-1
        total += float(loss.sum())
        count += loss.numel()
    model.train()
    return total / count


def save_checkpoint(path, model, opt, state):
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state}, tmp)
    os.replace(tmp, path)


def cmd_train(a):
    torch.set_num_threads(a.threads)
    BitLinear.bf16_matmul = a.bf16
    torch.manual_seed(a.seed)
    cfg = model_config(a)
    model = BitNet(cfg)
    decay = [p for n, p in model.named_parameters() if n.endswith("proj.weight")]
    other = [p for n, p in model.named_parameters() if not n.endswith("proj.weight")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd},
                             {"params": other, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    ckpt = os.path.join(a.work, "ckpt.pt")
    state = {"step": 0, "elapsed": 0.0, "tokens": 0, "config": cfg.to_dict(), "args": vars(a)}
    if os.path.exists(ckpt):
        c = torch.load(ckpt)
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        state = c["state"]
        log(f"resumed at step {state['step']}, {state['elapsed']:.0f} s")
    tok = bpe.Tokenizer(*bpe.load_merges(os.path.join(a.work, "tokenizer.json")))
    bos = tok.bos()
    batches = Batches(a.work, cfg.ctx, bos, a.chat_frac, a.seed + state["step"])
    vx, vy = heldout_windows(a.work, cfg.ctx, bos, count=32)
    log(f"model: {model.param_count() / 1e6:.2f} M parameters, {cfg}")
    log_path = os.path.join(a.work, "train_log.tsv")
    if not os.path.exists(log_path):
        with open(log_path, "w") as f:
            f.write("step\telapsed_s\ttokens\tlr\ttrain_loss\tval_loss\n")
    budget = a.minutes * 60.0
    t0 = time.time() - state["elapsed"]
    # --new-schedule: this invocation is a fresh LR cycle (warm-up, cosine to --lr-floor)
    # over its own --minutes, continuing from the checkpoint's weights and Adam moments.
    # Without it the schedule spans the total training time, as in the first run.
    run_t0 = time.time()
    if a.new_schedule:
        state.setdefault("cycles", []).append(
            {"start_step": state["step"], "start_tokens": state["tokens"], "minutes": a.minutes,
             "lr": a.lr, "lr_floor": a.lr_floor, "batch": a.batch, "threads": a.threads,
             "bf16": a.bf16})
    last_ckpt = last_eval = time.time()
    losses = []
    while True:
        elapsed = time.time() - t0
        run = time.time() - run_t0
        if (run if a.new_schedule else elapsed) >= budget:
            break
        # schedule by wall time, not steps
        frac = run / budget if a.new_schedule else elapsed / budget
        lr = lr_at(int(frac * 10000), 10000, a.lr, int(10000 * a.warmup_frac), a.lr_floor)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batches.next(a.batch)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss))
        state["step"] += 1
        state["tokens"] += x.numel()
        now = time.time()
        state["elapsed"] = now - t0
        do_eval = now - last_eval >= a.eval_minutes * 60 or state["step"] == 1
        if state["step"] % 10 == 0 or do_eval:
            val = evaluate(model, vx, vy) if do_eval else None
            if do_eval:
                last_eval = time.time()
            tl = sum(losses) / len(losses)
            losses = []
            with open(log_path, "a") as f:
                f.write(f"{state['step']}\t{state['elapsed']:.0f}\t{state['tokens']}\t{lr:.2e}\t"
                        f"{tl:.4f}\t{'' if val is None else f'{val:.4f}'}\n")
            log(f"step {state['step']} {state['elapsed']:.0f}s tok {state['tokens']} lr {lr:.2e} "
                f"loss {tl:.3f}" + ("" if val is None else f" val {val:.3f}"))
        if now - last_ckpt >= a.ckpt_minutes * 60:
            save_checkpoint(ckpt, model, opt, state)
            last_ckpt = time.time()
    save_checkpoint(ckpt, model, opt, state)
    val = evaluate(model, vx, vy)
    with open(log_path, "a") as f:
        f.write(f"{state['step']}\t{state['elapsed']:.0f}\t{state['tokens']}\t0\t\t{val:.4f}\n")
    log(f"done: step {state['step']}, {state['tokens']} tokens, val {val:.3f}")



# ------------------------------------------------------------------------------ export

# Llama-3-style chat template written for the demo (same shape as Meta's: the first turn
# carries BOS, each turn is a header, a blank line, the trimmed content and <|eot_id|>).
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + "
    "message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}")

ST_DTYPE = {torch.bfloat16: "BF16", torch.uint8: "U8", torch.float32: "F32"}


def write_safetensors(path, tensors):
    """safetensors: u64 header length, JSON header (names sorted, data_offsets relative to
    the data start, padded with spaces to 8 bytes), then the raw little-endian bytes."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (-len(hjson) % 8)
    with open(path, "wb") as f:
        f.write(len(hjson).to_bytes(8, "little"))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)


def pack_ternary(t):
    """[out, in] codes in {-1,0,1} -> uint8 [out/4, in] in HF's row-block order: packed row
    r holds rows r, r+R, r+2R, r+3R (R = out/4) in bits 1:0, 3:2, 5:4, 7:6, as code+1."""
    out = t.shape[0]
    assert out % 4 == 0
    R = out // 4
    u = (t.to(torch.int16) + 1).to(torch.uint8)
    packed = torch.zeros((R, t.shape[1]), dtype=torch.uint8)
    for i in range(4):
        packed |= u[i * R:(i + 1) * R] << (2 * i)
    return packed


def load_model(work):
    c = torch.load(os.path.join(work, "ckpt.pt"))
    model = BitNet(Config(**c["state"]["config"]))
    model.load_state_dict(c["model"])
    model.round_to_bf16()           # what the export stores (BitLinear codes are exact)
    model.eval()
    return model, c["state"]


def hf_tensors(model):
    cfg = model.cfg
    bf = lambda p: p.detach().to(torch.bfloat16)
    out = {"model.embed_tokens.weight": bf(model.embed_tokens.weight),
           "model.norm.weight": bf(model.norm.weight)}
    for i, L in enumerate(model.layers):
        p = f"model.layers.{i}."
        out[p + "input_layernorm.weight"] = bf(L.input_layernorm.weight)
        out[p + "post_attention_layernorm.weight"] = bf(L.post_attention_layernorm.weight)
        out[p + "self_attn.attn_sub_norm.weight"] = bf(L.attn_sub_norm.weight)
        out[p + "mlp.ffn_sub_norm.weight"] = bf(L.ffn_sub_norm.weight)
        for group, names in (("self_attn", "qkvo"), ("mlp", ("gate", "up", "down"))):
            for n in names:
                lin = getattr(L, f"{n}_proj")
                t, s = ternarize(lin.weight)
                out[p + f"{group}.{n}_proj.weight"] = pack_ternary(t.to(torch.int8))
                out[p + f"{group}.{n}_proj.weight_scale"] = s.reshape(1).to(torch.bfloat16)
    assert len(out) == 2 + 18 * cfg.layers
    return out


def cmd_export(a):
    model, state = load_model(a.work)
    cfg = model.cfg
    os.makedirs(a.out, exist_ok=True)
    tok = bpe.Tokenizer(*bpe.load_merges(os.path.join(a.work, "tokenizer.json")))
    bos, eos, eot = (tok.special_ids[s] for s in
                     ("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"))
    write_safetensors(os.path.join(a.out, "model.safetensors"), hf_tensors(model))
    config = {
        "architectures": ["BitNetForCausalLM"], "attention_bias": False,
        "attention_dropout": 0.0, "bos_token_id": bos, "eos_token_id": eos,
        "head_dim": cfg.head_dim, "hidden_act": "relu2", "hidden_size": cfg.hidden,
        "initializer_range": 0.02, "intermediate_size": cfg.ffn,
        "max_position_embeddings": cfg.ctx, "model_type": "bitnet",
        "num_attention_heads": cfg.heads, "num_hidden_layers": cfg.layers,
        "num_key_value_heads": cfg.kv_heads, "rms_norm_eps": cfg.eps,
        "rope_theta": cfg.rope_theta, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "use_cache": True, "vocab_size": cfg.vocab,
        "quantization_config": {"quant_method": "bitnet", "linear_class": "bitlinear",
                                "quantization_mode": "offline"}}
    gen = {"_from_model_config": True, "bos_token_id": bos, "eos_token_id": [eos, eot],
           "do_sample": True, "temperature": 0.8, "top_p": 0.95}
    added = {str(i): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                      "single_word": False, "special": True} for s, i in tok.special_ids.items()}
    tcfg = {"added_tokens_decoder": added, "bos_token": "<|begin_of_text|>",
            "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": True,
            "eos_token": "<|eot_id|>", "model_input_names": ["input_ids", "attention_mask"],
            "model_max_length": cfg.ctx, "tokenizer_class": "PreTrainedTokenizerFast"}
    for name, obj in (("config.json", config), ("generation_config.json", gen),
                      ("tokenizer_config.json", tcfg)):
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")
    tok.save(os.path.join(a.out, "tokenizer.json"))
    log(f"exported step {state['step']} to {a.out}")
    if a.verify:
        verify(model, a.out, tok)


def verify(model, out_dir, tok):
    """The exported folder through ../shared/golden/reference.py must give the logits of
    the training model's eval forward."""
    sys.path.insert(0, "/work/shared/golden")
    from reference import BitNetReference
    ref = BitNetReference(out_dir)
    text = "It was a dark and stormy night; the rain fell in torrents, except at occasional"
    for ids in ([tok.bos()], [tok.bos()] + tok.encode(text)):
        with torch.no_grad():
            mine = model(torch.tensor([ids]))[0]
        theirs = ref.forward(ids)
        diff = float((mine - theirs).abs().max())
        agree = float((mine.argmax(-1) == theirs.argmax(-1)).float().mean())
        log(f"verify len {len(ids)}: max |logit diff| {diff:.2e}, argmax agreement {agree:.3f}")


# ------------------------------------------------------------------------------ eval/sample

def llama_perplexity_windows(tok, text, ctx):
    """The windows `tern perplexity` (and llama-perplexity) scores: the file tokenized once
    with BOS in front, cut into non-overlapping windows of ctx tokens, the first token of
    each replaced by BOS; only the predictions of positions ctx/2+1 .. ctx-1 count."""
    ids = [tok.bos()] + tok.encode_plain(text)
    rows = []
    for k in range(len(ids) // ctx):
        w = ids[k * ctx:(k + 1) * ctx]
        rows.append([tok.bos()] + w[1:])
    rows = torch.tensor(rows)
    return rows[:, :-1], rows[:, 1:]


def cmd_eval(a):
    torch.set_num_threads(a.threads)
    model, state = load_model(a.work)
    tok = bpe.Tokenizer(*bpe.load_merges(os.path.join(a.work, "tokenizer.json")))
    text = open(a.file or os.path.join(a.work, "heldout.txt"), encoding="utf-8").read()
    ctx = model.cfg.ctx
    x, y = llama_perplexity_windows(tok, text, ctx)
    if a.chunks > 0:
        x, y = x[:a.chunks], y[:a.chunks]
    full = evaluate(model, x, y)
    half = evaluate(model, x, y, second_half=True)   # targets ctx/2+1..ctx-1
    log(f"{len(x)} windows of {ctx} tokens: all positions loss {full:.4f} (ppl "
        f"{math.exp(full):.2f}); scored half (as tern perplexity) loss {half:.4f} "
        f"(ppl {math.exp(half):.2f}); {len(text)} chars, {state['step']} steps")


@torch.no_grad()
def generate(model, ids, n, temp, top_k, stop=()):
    ids = list(ids)
    for _ in range(n):
        logits = model(torch.tensor([ids[-model.cfg.ctx:]]))[0, -1]
        if temp <= 0:
            nxt = int(logits.argmax())
        else:
            v, i = torch.topk(logits / temp, top_k)
            nxt = int(i[torch.multinomial(torch.softmax(v, -1), 1)])
        ids.append(nxt)
        if nxt in stop:
            break
    return ids


def cmd_sample(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model, _ = load_model(a.work)
    tok = bpe.Tokenizer(*bpe.load_merges(os.path.join(a.work, "tokenizer.json")))
    if a.chat:
        prompt = "<|begin_of_text|>" + data.turn("user", a.prompt) + \
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        ids = tok.encode(prompt)
    else:
        ids = [tok.bos()] + tok.encode(a.prompt)
    stop = (tok.special_ids["<|eot_id|>"], tok.special_ids["<|end_of_text|>"])
    out = generate(model, ids, a.n, a.temp, a.top_k, stop)
    print(tok.decode(out))


# ------------------------------------------------------------------------------ report

def cmd_report(a):
    """Markdown table and ASCII plot of train_log.tsv for the model card."""
    rows = []
    with open(os.path.join(a.work, "train_log.tsv")) as f:
        next(f)
        for line in f:
            step, el, tok, lr, tl, vl = (line.rstrip("\n").split("\t") + [""] * 6)[:6]
            rows.append((int(step), float(el), int(tok), float(tl) if tl else None,
                         float(vl) if vl else None))
    evals = [r for r in rows if r[4] is not None]
    print("| step | minutes | tokens seen | train loss (last 10 steps) | held-out loss (32 windows) |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for r in evals:
        train = [x[3] for x in rows if x[3] is not None and x[0] <= r[0]]
        t = f"{train[-1]:.3f}" if train else ""
        print(f"| {r[0]} | {r[1] / 60:.1f} | {r[2]:,} | {t} | {r[4]:.3f} |")
    pts = [(r[2], r[3]) for r in rows if r[3] is not None]
    if not pts:
        return
    width, height = 60, 14
    lo = min(p[1] for p in pts)
    hi = max(p[1] for p in pts)
    tmax = pts[-1][0]
    grid = [[" "] * width for _ in range(height)]
    for t, l in pts:
        x = min(width - 1, int(t / tmax * (width - 1)))
        y = min(height - 1, int((hi - l) / (hi - lo + 1e-9) * (height - 1)))
        grid[y][x] = "*"
    print("\ntrain loss (nats/token) vs tokens seen\n```")
    for k, line in enumerate(grid):
        label = hi - (hi - lo) * k / (height - 1)
        print(f"{label:5.2f} |" + "".join(line))
    print("      +" + "-" * width)
    print(f"       0{'tokens seen':^{width - 12}}{tmax:,}")
    print("```")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--work", default="/work/demo-data")
    p.add_argument("--corpus", default=CORPUS)
    p.add_argument("--chat-samples", type=int, default=40000)
    p = sub.add_parser("train")
    p.add_argument("--work", default="/work/demo-data")
    p.add_argument("--minutes", type=float, default=55)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--ffn", type=int, default=768)
    p.add_argument("--ctx", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=2.5e-3)
    p.add_argument("--wd", type=float, default=0.05)
    p.add_argument("--warmup-frac", type=float, default=0.03)
    p.add_argument("--lr-floor", type=float, default=0.1, help="final LR as a fraction of --lr")
    p.add_argument("--new-schedule", action="store_true",
                   help="resume with a new LR cycle over this run's --minutes")
    p.add_argument("--bf16", action="store_true",
                   help="BitLinear products in bfloat16 (exact codes, outputs rounded to bf16; "
                        "~1.3x faster where the CPU has AVX512_BF16); evaluation stays float32")
    p.add_argument("--chat-frac", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eval-minutes", type=float, default=5)
    p.add_argument("--ckpt-minutes", type=float, default=4)
    p = sub.add_parser("export")
    p.add_argument("--work", default="/work/demo-data")
    p.add_argument("--out", default="/work/demo-hf")
    p.add_argument("--no-verify", dest="verify", action="store_false")
    p = sub.add_parser("eval")
    p.add_argument("--work", default="/work/demo-data")
    p.add_argument("--file", default=None, help="text to score (default: heldout.txt)")
    p.add_argument("--chunks", type=int, default=-1)
    p.add_argument("--threads", type=int, default=2)
    p = sub.add_parser("sample")
    p.add_argument("--work", default="/work/demo-data")
    p.add_argument("--prompt", default="It was")
    p.add_argument("--chat", action="store_true")
    p.add_argument("-n", type=int, default=120)
    p.add_argument("--temp", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=40)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("report")
    p.add_argument("--work", default="/work/demo-data")
    a = ap.parse_args()
    {"report": cmd_report, "prepare": cmd_prepare, "train": cmd_train, "export": cmd_export, "eval": cmd_eval,
     "sample": cmd_sample}[a.cmd](a)
