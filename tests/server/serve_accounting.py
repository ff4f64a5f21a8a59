#!/usr/bin/env python3
"""Accounting benchmark for `tern serve` (issue 20): for each concurrency level C it starts
the server with --parallel C, runs C client threads x R requests each of a fixed mix
(P prompt tokens as token ids, exactly G generated: ignore_eos), and prints aggregate
tokens/s (wall), CPU-seconds per 1k generated tokens -- both the server's own accounting
(sum of usage.tern.cpu_seconds) and the process's CPU time (/proc, user+sys) --, mean CPU-
seconds per request, and what that makes per hour and per 10k requests. CPU-seconds are
counted, so they suffer less than wall figures on a shared, loaded machine.

  tests/server/serve_accounting.py --tern build/release/tern -m /work/bench-models/synth-2b4t.gguf \\
      --levels 1,4,8,16 --prompt-tokens 200 --gen-tokens 150 --rounds 1
"""
import argparse, concurrent.futures, json, os, random, subprocess, sys, threading, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_test import cpu_seconds as proc_cpu, free_port  # noqa: E402


def metrics(port):
    out = {}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
    return out


def one_request(port, prompt, gen):
    body = json.dumps({"prompt": prompt, "max_tokens": gen, "ignore_eos": True, "temperature": 0}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/completions", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read())["usage"]


def level(args, c):
    port = free_port()
    cmd = [args.tern, "serve", "-m", args.model, "--port", str(port), "--parallel", str(c),
           "--max-queue", str(2 * c), "-c", str(args.ctx), "--no-request-log"] + args.extra
    srv = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        for line in srv.stderr:  # "reserved ..." is the last start line
            if "reserved" in line:
                break
        rng = random.Random(c)
        prompts = [[rng.randrange(1000, 100000) for _ in range(args.prompt_tokens)] for _ in range(c * args.rounds)]
        usages, lock = [], threading.Lock()
        m0, cpu0 = metrics(port), proc_cpu(srv.pid)
        t0 = time.monotonic()

        def client(k):
            for r in range(args.rounds):
                u = one_request(port, prompts[k * args.rounds + r], args.gen_tokens)
                with lock:
                    usages.append(u)

        with concurrent.futures.ThreadPoolExecutor(max_workers=c) as pool:
            list(pool.map(client, range(c)))  # re-raises a client's error
        wall = time.monotonic() - t0
        cpu1, m1 = proc_cpu(srv.pid), metrics(port)
    finally:
        srv.terminate()
        srv.wait()
    n = len(usages)
    gen = sum(u["completion_tokens"] for u in usages)
    prompt = sum(u["prompt_tokens"] for u in usages)
    acct = sum(u["tern"]["cpu_seconds"] for u in usages)
    proc = cpu1 - cpu0
    k = "tern_time_to_first_token_seconds"
    ttft = (m1[k + "_sum"] - m0.get(k + "_sum", 0)) / max(1, m1[k + "_count"] - m0.get(k + "_count", 0))
    return {"streams": c, "requests": n, "wall_s": round(wall, 2), "gen_tokens": gen, "prompt_tokens": prompt,
            "gen_tok_per_s": round(gen / wall, 2), "prompt_tok_per_s": round(prompt / wall, 2),
            "acct_cpu_s": round(acct, 2), "proc_cpu_s": round(proc, 2),
            "acct_cpu_s_per_1k_gen": round(1000 * acct / gen, 2), "proc_cpu_s_per_1k_gen": round(1000 * proc / gen, 2),
            "acct_cpu_s_per_request": round(acct / n, 3), "mean_ttft_s": round(ttft, 3),
            "requests_per_hour_wall": round(3600 * n / wall, 1),
            "cpu_hours_per_10k_requests": round(10000 * acct / n / 3600, 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tern", required=True)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--levels", default="1,4,8,16")
    ap.add_argument("--prompt-tokens", type=int, default=200)
    ap.add_argument("--gen-tokens", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=1, help="requests per client thread")
    ap.add_argument("--ctx", type=int, default=512, help="context per slot (-c)")
    ap.add_argument("extra", nargs="*", help="more `tern serve` flags, after --")
    args = ap.parse_args()
    for c in [int(x) for x in args.levels.split(",")]:
        print(json.dumps(level(args, c)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
