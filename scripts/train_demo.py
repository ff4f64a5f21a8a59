#!/usr/bin/python3
"""Trains tern's demo model: a small BitNet b1.58 (2B4T architecture, scaled down) on the
public-domain Gutenberg corpus, quantization-aware, and exports it in the Hugging Face
packed layout of microsoft/bitnet-b1.58-2B-4T (then `tern convert` makes the GGUF).

Needs Debian's python3-torch, python3-numpy, python3-regex (TERN_TRAIN_DEPS=1
scripts/install-deps.sh); libopenblas0-openmp makes torch's CPU matmuls ~25x faster than
the reference BLAS. Run with /usr/bin/python3 (Debian's torch).

  train_demo.py prepare  --work /work/demo-data          # split, BPE tokenizer, token ids
  train_demo.py train    --work /work/demo-data --minutes 65
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
from model import BitNet, Config, lr_at  # noqa: E402

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
            loss = loss[:, loss.shape[1] // 2:]
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
    vx, vy = heldout_windows(a.work, cfg.ctx, bos, count=48)
    log(f"model: {model.param_count() / 1e6:.2f} M parameters, {cfg}")
    log_path = os.path.join(a.work, "train_log.tsv")
    if not os.path.exists(log_path):
        with open(log_path, "w") as f:
            f.write("step\telapsed_s\ttokens\tlr\ttrain_loss\tval_loss\n")
    budget = a.minutes * 60.0
    t0 = time.time() - state["elapsed"]
    last_ckpt = last_eval = time.time()
    losses = []
    while True:
        elapsed = time.time() - t0
        if elapsed >= budget:
            break
        frac = elapsed / budget                     # schedule by wall time, not steps
        lr = lr_at(int(frac * 10000), 10000, a.lr, int(10000 * a.warmup_frac))
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
    p.add_argument("--minutes", type=float, default=65)
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
    p.add_argument("--chat-frac", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eval-minutes", type=float, default=5)
    p.add_argument("--ckpt-minutes", type=float, default=4)
    a = ap.parse_args()
    {"prepare": cmd_prepare, "train": cmd_train}[a.cmd](a)
