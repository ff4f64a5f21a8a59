#!/usr/bin/env python3
"""Prefill in `tern serve` (issue 20): prompt-prefix reuse and batched prefill, measured
through HTTP on a real server process.

  turns: N conversations, one after another; each sends a first chat turn (a long system
         prompt and a question, --reply-tokens of reply), then the second turn (the first
         turn, its reply, a new question) with max_tokens 1. Reports the second turn's
         time to first token (its whole request: one token) and the server's CPU-seconds
         for it (utime+stime from /proc, robust on a loaded machine), with cached_tokens.
  burst: R rounds of C concurrent /v1/completions requests with distinct random token-id
         prompts of K tokens and max_tokens 1: wall time until all C are answered, server
         CPU-seconds, prompt tokens per CPU-second, and the prefill steps /metrics counted.

Run the same mode against two servers (e.g. with and without --no-prefix-reuse, or
--parallel 4 against --parallel 1) and compare medians:

  python3 bench/serve_prefill_bench.py --tern build/release/tern -m MODEL.gguf turns
  python3 bench/serve_prefill_bench.py --tern build/release/tern -m MODEL.gguf turns -- --no-prefix-reuse
  python3 bench/serve_prefill_bench.py --tern build/release/tern -m MODEL.gguf --parallel 4 burst
  python3 bench/serve_prefill_bench.py --tern build/release/tern -m MODEL.gguf --parallel 1 burst
"""
import argparse
import json
import os
import random
import re
import statistics
import subprocess
import threading
import time
import urllib.request


def post(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read())


def metric(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as r:
        m = re.search(rf"^{name} (\S+)$", r.read().decode(), re.M)
    return float(m.group(1)) if m else float("nan")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(args):
    cmd = [args.tern, "serve", "-m", args.model, "--port", "0", "-t", str(args.threads), "--parallel",
           str(args.parallel), "-c", str(args.ctx), "--no-request-log"] + args.server_args
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        m = re.search(r"on http://[^:]+:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, int(m.group(1))
    raise SystemExit("tern serve did not start: " + " ".join(cmd))


SYSTEM = ("You are the assistant of a small harbour office. You answer questions about boats, tides, moorings, "
          "fees and the weather in short, exact sentences. When you do not know something you say so and name "
          "the office that does. Fees are per night and per metre of length; the harbour master sets them each "
          "spring. Moorings are numbered from the north quay; visitors use the pontoon by the fuel berth. ")


def turns(args, port, pid):
    rows = []
    for rep in range(args.reps):
        system = f"Conversation {rep} {random.random():.6f}. " + SYSTEM * args.system_repeat
        msgs = [{"role": "system", "content": system},
                {"role": "user", "content": "How much is a night for a 9 metre boat in May?"}]
        first = post(port, "/v1/chat/completions", {"messages": msgs, "max_tokens": args.reply_tokens,
                                                    "temperature": 0, "ignore_eos": True})
        msgs += [{"role": "assistant", "content": first["choices"][0]["message"]["content"]},
                 {"role": "user", "content": "And where do I moor when I arrive after dark?"}]
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        second = post(port, "/v1/chat/completions", {"messages": msgs, "max_tokens": 1, "temperature": 0})
        wall, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
        u = second["usage"]
        rows.append((wall, cpu, u["prompt_tokens"], u["prompt_tokens_details"]["cached_tokens"],
                     first["usage"]["prompt_tokens"]))
        print(f"turn 2: {wall:.2f} s, {cpu:.2f} CPU-s, prompt {u['prompt_tokens']} tokens, "
              f"cached {u['prompt_tokens_details']['cached_tokens']} (turn 1 prompt {first['usage']['prompt_tokens']})",
              flush=True)
    print(f"median turn-2 TTFT {statistics.median(r[0] for r in rows):.2f} s, "
          f"median CPU {statistics.median(r[1] for r in rows):.2f} s")


def burst(args, port, pid):
    rows = []
    for rep in range(args.reps):
        prompts = [[random.randrange(1000, 100000) for _ in range(args.prompt_tokens)] for _ in range(args.clients)]
        steps0, cpu0, t0 = metric(port, "tern_prefill_steps_total"), cpu_seconds(pid), time.monotonic()
        threads = [threading.Thread(target=post, args=(port, "/v1/completions",
                                                        {"prompt": p, "max_tokens": 1, "temperature": 0}))
                   for p in prompts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
        steps = metric(port, "tern_prefill_steps_total") - steps0
        tokens = args.clients * args.prompt_tokens
        rows.append((wall, cpu, tokens / max(cpu, 1e-9)))
        print(f"{args.clients} x {args.prompt_tokens} prompt tokens: {wall:.2f} s wall, {cpu:.2f} CPU-s, "
              f"{tokens / max(cpu, 1e-9):.1f} tok/CPU-s, {steps:.0f} prefill steps", flush=True)
    print(f"median wall {statistics.median(r[0] for r in rows):.2f} s, median CPU {statistics.median(r[1] for r in rows):.2f} s, "
          f"median {statistics.median(r[2] for r in rows):.1f} prompt tok/CPU-s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tern", required=True)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--reply-tokens", type=int, default=16)
    ap.add_argument("--system-repeat", type=int, default=1, help="copies of the system text (longer prompts)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--prompt-tokens", type=int, default=16)
    ap.add_argument("mode", choices=["turns", "burst"])
    ap.add_argument("server_args", nargs="*", help="after --: more tern serve flags")
    args = ap.parse_args()
    proc, port = start(args)
    try:
        (turns if args.mode == "turns" else burst)(args, port, proc.pid)
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
