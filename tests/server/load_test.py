#!/usr/bin/env python3
"""Bounded load test for `tern serve` on loopback: starts the server on a free port, runs
C concurrent clients x R requests each (streaming chat, max_tokens fixed), and prints total
generated tokens/s and p50/p99 request latency per concurrency level. Stops by itself.

  tests/server/load_test.py --tern build/tern -m models/tern-demo-6m.gguf --levels 1,4,8 --requests 5
"""
import argparse, json, socket, statistics, subprocess, sys, threading, time, urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def one_request(port, max_tokens, seed):
    body = json.dumps({"messages": [{"role": "user", "content": "Tell me a story about a ship."}],
                       "max_tokens": max_tokens, "temperature": 0.8, "seed": seed, "stream": True}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body,
                                 headers={"Content-Type": "application/json"})
    t0 = time.monotonic()
    tokens = 0
    with urllib.request.urlopen(req, timeout=120) as r:
        for line in r:
            line = line.strip()
            if not line.startswith(b"data: ") or line == b"data: [DONE]":
                continue
            j = json.loads(line[6:])
            if "usage" in j:
                tokens = j["usage"]["completion_tokens"]
    return time.monotonic() - t0, tokens


def run_level(port, clients, requests, max_tokens):
    lat, toks, errors = [], [], []
    lock = threading.Lock()

    def worker(w):
        for i in range(requests):
            try:
                dt, n = one_request(port, max_tokens, w * 1000 + i)
                with lock:
                    lat.append(dt)
                    toks.append(n)
            except Exception as e:  # counted, reported
                with lock:
                    errors.append(repr(e))

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
    return {"clients": clients, "requests": len(lat), "failed": len(errors), "tokens": sum(toks),
            "tok_per_s": sum(toks) / wall, "p50_s": statistics.median(lat) if lat else float("nan"),
            "p99_s": p(0.99), "wall_s": wall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tern", required=True)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--levels", default="1,4,8")
    ap.add_argument("--requests", type=int, default=5, help="requests per client")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--threads", default="1", help="-t per slot session")
    a = ap.parse_args()
    levels = [int(x) for x in a.levels.split(",")]
    port = free_port()
    srv = subprocess.Popen([a.tern, "serve", "-m", a.model, "--port", str(port), "--parallel", str(max(levels)),
                            "-t", a.threads, "-c", "512", "--max-queue", "64"], stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        rss_before = open(f"/proc/{srv.pid}/status").read().split("VmRSS:")[1].split()[0]
        for c in levels:
            print(json.dumps(run_level(port, c, a.requests, a.max_tokens)))
        rss_after = open(f"/proc/{srv.pid}/status").read().split("VmRSS:")[1].split()[0]
        print(json.dumps({"rss_kb_after_warmup_level": int(rss_before), "rss_kb_after_all": int(rss_after)}))
    finally:
        srv.terminate()
        srv.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
