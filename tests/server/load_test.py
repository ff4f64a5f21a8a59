#!/usr/bin/env python3
"""Bounded load test for `tern serve` on loopback: starts the server on a free port, runs
C concurrent clients x R requests each (streaming chat, exactly max_tokens each: ignore_eos),
and prints per concurrency level: total generated tokens/s (wall clock), tokens per CPU-second
of the server process (user+sys, less sensitive to a shared machine), p50/p99 request
latency, failures, and the server's mean decode batch. Prints the server's RSS before the
first request and after the last. Stops by itself.

  tests/server/load_test.py --tern build/tern -m models/tern-demo-6m.gguf --levels 1,4,8 --requests 5
  # one-at-a-time baseline (one slot, requests queue):
  tests/server/load_test.py --tern build/tern -m models/tern-demo-6m.gguf --levels 8 --parallel 1
"""
import argparse, json, os, socket, statistics, subprocess, sys, threading, time, urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def one_request(port, max_tokens, seed):
    body = json.dumps({"messages": [{"role": "user", "content": "Tell me a story about a ship."}],
                       "max_tokens": max_tokens, "temperature": 0.8, "seed": seed, "stream": True,
                       "ignore_eos": True}).encode()
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


def rss_kb(pid):
    return int(open(f"/proc/{pid}/status").read().split("VmRSS:")[1].split()[0])


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def server_counter(port, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def run_level(port, pid, clients, requests, max_tokens):
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

    steps0, rows0 = server_counter(port, "tern_decode_steps_total"), server_counter(port, "tern_decode_rows_total")
    cpu0 = cpu_seconds(pid)
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0
    steps = server_counter(port, "tern_decode_steps_total") - steps0
    rows = server_counter(port, "tern_decode_rows_total") - rows0
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
    return {"clients": clients, "requests": len(lat), "failed": len(errors), "tokens": sum(toks),
            "tok_per_s": sum(toks) / wall, "p50_s": statistics.median(lat) if lat else float("nan"),
            "p99_s": p(0.99), "wall_s": wall, "server_cpu_s": cpu,
            "tok_per_cpu_s": sum(toks) / cpu if cpu > 0 else float("nan"),
            "mean_decode_batch": rows / steps if steps > 0 else float("nan"), "errors": errors[:3]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tern", required=True)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--levels", default="1,4,8")
    ap.add_argument("--requests", type=int, default=5, help="requests per client")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--threads", default="1", help="-t: threads of the batched step and of each slot")
    ap.add_argument("--parallel", type=int, default=0, help="server slots (0 = the largest level)")
    ap.add_argument("--ctx", default="512", help="-c per slot")
    a = ap.parse_args()
    levels = [int(x) for x in a.levels.split(",")]
    parallel = a.parallel or max(levels)
    port = free_port()
    srv = subprocess.Popen([a.tern, "serve", "-m", a.model, "--port", str(port), "--parallel", str(parallel),
                            "-t", a.threads, "-c", a.ctx, "--max-queue", "64"], stderr=subprocess.DEVNULL)
    # rss_kb_before is read once /health answers: tern serve has then reserved and touched
    # its slots' KV caches, scratch and the weights (printed on its stderr at start).
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        rss_before = rss_kb(srv.pid)
        print(json.dumps({"model": a.model, "parallel": parallel, "threads": a.threads, "max_tokens": a.max_tokens,
                          "requests_per_client": a.requests, "rss_kb_before": rss_before}), flush=True)
        failed = 0
        for c in levels:
            r = run_level(port, srv.pid, c, a.requests, a.max_tokens)
            time.sleep(2)  # the server trims freed heap pages after 1 s idle
            r["rss_kb_after_level"] = rss_kb(srv.pid)  # repeat a level (--levels 8,8,8) to see leaks
            failed += r["failed"]
            print(json.dumps(r), flush=True)
        print(json.dumps({"rss_kb_before": rss_before, "rss_kb_after": rss_kb(srv.pid),
                          "cancelled": server_counter(port, "tern_generations_cancelled_total")}), flush=True)
    finally:
        srv.terminate()
        srv.wait(timeout=30)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
